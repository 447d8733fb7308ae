"""What differs between a Worker (Pyodide + the Cloudflare SDK) and plain CPython.

Everything here is cheap to import: the SDK and Pyodide modules are imported only when running
under Pyodide (``sys.platform == "emscripten"``), and only when first needed.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

__all__ = ["IS_PYODIDE", "from_js", "sdk_non_retryable_error", "to_js_options"]

IS_PYODIDE = sys.platform == "emscripten"


def sdk_non_retryable_error() -> type[Exception] | None:
    """The SDK's ``workers.workflows.NonRetryableError`` class, or ``None`` without an SDK.

    Under CPython the SDK cannot be imported (its package needs Pyodide's ``js`` module), but a
    test or a local engine may register a ``workers.workflows`` module in ``sys.modules``; that
    module's class is then used, so the conversion stays testable.
    """
    module = sys.modules.get("workers.workflows")
    if module is None and IS_PYODIDE:  # pragma: no cover - only inside a Worker
        import importlib

        module = importlib.import_module("workers.workflows")
    cls = getattr(module, "NonRetryableError", None) if module is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else None


def from_js(value: Any) -> Any:
    """Turn a raw ``JsProxy`` (the built-in SDK passes some through unconverted) into Python.

    Values that are already Python (the external SDK converts them) come back unchanged. A JS
    ``Date`` becomes a naive UTC ``datetime``, as the external SDK's ``python_from_rpc`` does.
    """
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    get_time = getattr(value, "getTime", None)
    if callable(get_time) and type(value).__name__.startswith("Js"):
        return datetime.datetime.fromtimestamp(get_time() / 1000, datetime.UTC).replace(tzinfo=None)
    to_py = getattr(value, "to_py", None)
    if callable(to_py):
        return _deep_from_js(to_py())
    return value


def _deep_from_js(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _deep_from_js(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_from_js(item) for item in value]
    return from_js(value)


def to_js_options(options: dict[str, Any]) -> Any:
    """A plain JS object for ``options`` when calling a raw (unwrapped) JS binding.

    The external SDK's binding wrappers convert keyword arguments themselves; the built-in SDK
    hands a Python ``dict`` over as a ``PyProxy``, which RPC cannot serialise. Only called
    under Pyodide.
    """
    from js import Object  # pragma: no cover
    from pyodide.ffi import to_js  # pragma: no cover

    return to_js(options, dict_converter=Object.fromEntries)  # pragma: no cover
