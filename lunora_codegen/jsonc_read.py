"""Read a wrangler.jsonc text into data: json5's answer, at the stdlib ``json`` module's speed.

``json5`` is the reader of record (what the reconciler has always meant by "the data in the
file", and where every syntax error message with its line and column comes from), but it is
pure Python: ~15 µs a character, 1-3 s for a 1,000-workflow config, and the reconciler reads
each config twice per run (the file, then its own edit, to verify it). Wrangler itself only
accepts JSONC (JSON plus comments and trailing commas), so nearly every real config is JSON
once its comments and trailing commas are gone. :func:`load_jsonc` therefore tries a fast
path first and falls back to ``json5`` whenever the fast path is not *certain*:

1. :func:`strict_json` removes exactly three things, and nothing else: a leading BOM, comments
   (each replaced by one space, so ``1/**/2`` stays two tokens and stays an error), and
   trailing commas, i.e. a comma followed only by whitespace/comments and a ``]`` or ``}``. A
   comma right after ``[``/``{`` (``[,]``, an error in JSON5) is left alone. It returns
   ``None`` as soon as it meets anything else outside a double-quoted string: a single quote,
   a ``/`` that opens no comment, an unterminated string.
2. The result goes to ``json.loads``, which accepts only strict JSON. Everything JSON5 allows
   beyond JSONC (single quotes, unquoted keys, hex, ``+1``, ``.5``, ``\\x41``/``\\'`` escapes,
   line continuations, raw tabs in strings, non-ASCII whitespace) makes it fail, and then
   ``json5`` parses the original text, so it also reports every error.
3. On strict JSON the two parsers agree token by token (same escapes, ``int()``/``float()`` on
   the same digits, ``dict`` built pair by pair: the last duplicate key wins, at the position
   of the first), with two exceptions that force the fallback: ``NaN``/``Infinity`` (rejected
   through ``parse_constant``) and a ``\\uD800``-``\\uDBFF`` escape, because ``json`` joins an
   escaped surrogate pair into one character and ``json5`` keeps two.

``tests/wrangler/test_jsonc_read.py`` checks the agreement on thousands of generated
documents. The span scanner (:mod:`.jsonc_scan`) is not used here: it walks the text a
character at a time in Python (tens of ms at this size), and it is deliberately lenient, while
this module's argument rests on removing only pieces whose JSON5 meaning is certain and
leaving every other byte for ``json`` to validate.

Parses are cached per distinct text (a small LRU keyed by the text itself, so a hash collision
can never return the wrong data): the reconciler's verify parse of its own output is the next
run's read of the file.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["fast_load", "load_jsonc", "strict_json"]

# Trivia between a trailing comma and its bracket: JSON whitespace and JSON5 comments (any
# other whitespace makes the comma look non-trailing; ``json`` then rejects the text).
_TRIVIA = r"(?:[ \t\n\r]++|//[^\n\r\u2028\u2029]*+|/\*(?s:.*?)\*/)"
# Everything that passes through unchanged: runs without a quote, slash, comma or opening
# bracket; whole double-quoted strings (no raw line break: an error or a JSON5 line
# continuation, both left to json5); commas that are not trailing; and opening brackets not
# followed by a comma.
_KEEP = re.compile(
    r"(?:[^\"'/,\[{]++"
    r'|"(?:[^"\\\n\r]++|\\.)*+"'
    rf"|,(?!{_TRIVIA}*+[\]}}])"
    rf"|[\[{{](?!{_TRIVIA}*+,))*+"
)
_COMMENT = re.compile(r"//[^\n\r\u2028\u2029]*+|/\*(?s:.*?)\*/")
# ``json`` decodes an escaped surrogate pair as one character, ``json5`` as two.
_HIGH_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB]")


def strict_json(text: str) -> str | None:
    """``text`` with its comments, trailing commas and leading BOM removed; ``None`` when the
    text has anything else JSON lacks outside its strings (single quotes, a stray ``/``, an
    unterminated string or comment, ``[,``) or an escaped surrogate, so the caller must ask
    ``json5``. A returned text may still be invalid JSON: ``json.loads`` decides that.
    """
    if _HIGH_SURROGATE_ESCAPE.search(text) is not None:
        return None
    pos = 1 if text.startswith("\ufeff") else 0
    end_of_text = len(text)
    out: list[str] = []
    while True:
        end = _KEEP.match(text, pos).end()  # type: ignore[union-attr]  # matches ""
        out.append(text[pos:end])
        if end == end_of_text:
            return "".join(out)
        stop = text[end]
        if stop == "/":
            comment = _COMMENT.match(text, end)
            if comment is None:
                return None
            out.append(" ")
            pos = comment.end()
        elif stop == ",":  # _KEEP stops at a comma only when it is a trailing one
            pos = end + 1
        else:  # a single quote, an unterminated string, or ``[`` / ``{`` before a comma
            return None


class _NotJsoncError(ValueError):
    """The text uses ``NaN`` or ``Infinity``: JSON5, so json5 reads it."""


def _reject_constant(name: str) -> Any:
    raise _NotJsoncError(name)


def fast_load(text: str) -> tuple[str, Any] | None:
    """``(strict JSON, data)`` when the fast path can read ``text``, else ``None`` (then only
    ``json5`` knows what it means, or that it is an error). No cache."""
    strict = strict_json(text)
    if strict is None:
        return None
    try:
        return strict, json.loads(strict, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, _NotJsoncError, int digit limit
        return None


_CACHE_SIZE = 8
#: text -> its strict JSON (fast path) or json5's data (kept, copied on every hit)
_cache: OrderedDict[str, tuple[str | None, Any]] = OrderedDict()
_cache_lock = threading.Lock()  # ``lunora dev`` may reconcile and lint from two threads


def load_jsonc(text: str) -> Any:
    """The data ``json5.loads(text)`` returns, read through the fast path when the text is
    JSONC (see the module docstring), as a fresh object the caller may mutate.

    Raises ``ValueError`` with json5's message (``<string>:LINE ... at column COL``) when the
    text does not parse.
    """
    with _cache_lock:
        known = _cache.get(text)
        if known is not None:
            _cache.move_to_end(text)
    if known is not None:
        strict, data = known
        # For the fast path only the strict text is kept: ``json.loads`` on it is a cheaper
        # fresh copy than copying the data.
        return json.loads(strict) if strict is not None else _copy(data)
    fast = fast_load(text)
    if fast is not None:
        strict, data = fast
        _remember(text, (strict, None))
        return data
    import json5  # only here: JSONC never needs it, and it is a measurable import

    data = json5.loads(text)
    _remember(text, (None, data))
    return _copy(data)


def _remember(text: str, entry: tuple[str | None, Any]) -> None:
    with _cache_lock:
        _cache[text] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def _copy(value: Any) -> Any:
    """A deep copy of parsed JSON data (dicts, lists and immutable scalars only)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
