"""Lunora's wire value codec, for function args and results that cross HTTP.

The wire is plain JSON; a value JSON cannot carry is a tagged array whose first element is
``"$lunora.wire$"`` (the protocol's §2). Pure JSON encodes to itself, so a backend without the
codec interoperates unchanged. What Python values map to:

==================================  ==============================================
Python                              wire
==================================  ==============================================
``None``, bool, str, finite float   itself
int within ±(2**53 - 1)             itself
any other int, a ``WireBigInt``     ``[TAG, "bigint", "<decimal>"]``
``nan`` / ``inf`` / ``-inf``        ``[TAG, "nan"]`` / ``[TAG, "inf"]`` / ``[TAG, "-inf"]``
``datetime`` (naive means UTC)      ``[TAG, "date", <epoch ms>]``
``bytes`` / ``bytearray``           ``[TAG, "bytes", "<base64>"]``
``set`` / ``frozenset``             ``[TAG, "set", [items]]``
list or tuple starting with TAG     ``[TAG, "arr", [items]]`` (escape)
dict / list / tuple                 recursed (dict keys must be str)
dataclass / pydantic model          its fields, recursed
==================================  ==============================================

:func:`decode` is the inverse (a ``date`` becomes an aware UTC ``datetime``); it also reads
``url`` (as its string), ``map`` (as a dict when the keys are strings, else a list of pairs),
``undefined`` (``None``) and ``error`` (a dict of name, message and props); an unknown tag
decodes as the plain array it is. Nesting is capped at 64 levels and a bigint at 1,024
digits, as the protocol requires of every port.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import Any

from lunora_workflow.schema import is_pydantic_model

__all__ = ["MAX_BIGINT_DIGITS", "MAX_DEPTH", "TAG", "WireBigInt", "WireError", "decode", "encode"]

TAG = "$lunora.wire$"
MAX_DEPTH = 64
MAX_BIGINT_DIGITS = 1024
_SAFE_INT = 2**53 - 1
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class WireBigInt(int):
    """An int that travels as a bigint whatever its size (what a decoded ``bigint`` is, so
    that re-encoding it gives the same wire value back, as the protocol requires)."""

    __slots__ = ()


class WireError(ValueError):
    """A value cannot be encoded (or a tagged value decoded); ``path`` says where."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _child(path: str, key: object) -> str:
    return f"{path}.{key}" if isinstance(key, str) and key.isidentifier() else f"{path}[{key!r}]"


def encode(value: Any, path: str = "$", depth: int = 0) -> Any:
    """``value`` as wire JSON (see the module docstring); raises :class:`WireError`."""
    if depth > MAX_DEPTH:
        raise WireError(path, f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if isinstance(value, WireBigInt) or not -_SAFE_INT <= value <= _SAFE_INT:
            return [TAG, "bigint", str(int(value))]
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return [TAG, "nan"]
        if math.isinf(value):
            return [TAG, "inf" if value > 0 else "-inf"]
        return value
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
        delta = aware - _EPOCH
        return [
            TAG,
            "date",
            (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000,
        ]
    if isinstance(value, (bytes, bytearray, memoryview)):
        import base64

        return [TAG, "bytes", base64.b64encode(bytes(value)).decode("ascii")]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise WireError(path, f"key {key!r} is not a string")
            out[key] = encode(item, _child(path, key), depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        items = [encode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
        if value and isinstance(value[0], str) and value[0] == TAG:
            return [TAG, "arr", items]
        return items
    if isinstance(value, (set, frozenset)):
        return [
            TAG,
            "set",
            [encode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)],
        ]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return encode(fields, path, depth)
    if is_pydantic_model(type(value)):
        return encode(value.model_dump(mode="python"), path, depth)
    raise WireError(path, f"{type(value).__name__} cannot be sent to a function")


def decode(value: Any, path: str = "$", depth: int = 0) -> Any:
    """The Python value of wire JSON; raises :class:`WireError` for a malformed tag."""
    if depth > MAX_DEPTH:
        raise WireError(path, f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {key: decode(item, _child(path, key), depth + 1) for key, item in value.items()}
    if not isinstance(value, list):
        return value
    if len(value) >= 2 and value[0] == TAG and isinstance(value[1], str):
        return _decode_tagged(value, path, depth)
    return [decode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]


def _decode_tagged(value: list[Any], path: str, depth: int) -> Any:
    kind, rest = value[1], value[2:]
    if kind == "bigint" and len(rest) == 1 and isinstance(rest[0], str):
        digits = rest[0].lstrip("-")
        if not digits.isdigit() or len(digits) > MAX_BIGINT_DIGITS:
            raise WireError(path, f"bad bigint {rest[0][:40]!r}")
        return WireBigInt(rest[0])
    if kind in ("nan", "inf", "-inf") and not rest:
        return float(kind)
    if kind == "undefined" and not rest:
        return None
    if kind == "date" and len(rest) == 1:
        ms = decode(rest[0], path, depth + 1)
        if not isinstance(ms, (int, float)) or not math.isfinite(ms):
            raise WireError(path, "an invalid Date")
        return _EPOCH + datetime.timedelta(milliseconds=ms)
    if kind == "bytes" and rest and isinstance(rest[0], str):
        import base64
        import binascii

        try:
            return base64.b64decode(rest[0], validate=True)
        except binascii.Error as error:
            raise WireError(path, f"bad base64: {error}") from error
    if kind == "url" and len(rest) == 1 and isinstance(rest[0], str):
        return rest[0]
    if kind in ("arr", "set") and len(rest) == 1 and isinstance(rest[0], list):
        items = [decode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(rest[0])]
        if kind == "arr":
            return items
        try:
            return set(items)
        except TypeError:
            return items  # unhashable members: keep them, in order
    if kind == "map" and len(rest) == 1 and isinstance(rest[0], list):
        pairs = [decode(pair, f"{path}[{i}]", depth + 1) for i, pair in enumerate(rest[0])]
        if all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            return {p[0]: p[1] for p in pairs}
        return pairs
    if kind == "error" and len(rest) >= 2:
        record: dict[str, Any] = {"name": rest[0], "message": rest[1]}
        if len(rest) > 2 and isinstance(rest[2], dict):
            record.update(decode(rest[2], path, depth + 1))
        if len(rest) > 3:
            record["cause"] = decode(rest[3], path, depth + 1)
        return record
    # forward compatibility: an unknown tag is an ordinary array
    return [decode(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
