"""What crosses the boundary between workflow code and the engine, converted like the platform.

The Python SDK converts a step's return value with ``python_to_rpc`` (tuples, bytearrays and
awaitables raise ``TypeError`` there, inside the step attempt) and the engine then stores it
with structured clone (anything else that is not plain data fails the instance as "not
serialisable"). Values come back through ``python_from_rpc``: dicts become :class:`JsDict`,
and every read returns a fresh copy, so a replay sees exactly what a hibernated instance would.
"""

from __future__ import annotations

import datetime
import inspect
from typing import Any

from lunora_workflow.testing.errors import NotSerialisableError

__all__ = ["JsDict", "from_wire", "to_wire"]


class JsDict(dict[str, Any]):
    """A ``dict`` that also allows attribute access, like the SDK's ``JsDict``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def _check_rpc(value: Any) -> None:
    # python_to_rpc's own refusals happen inside the step callback, so they are ordinary
    # (retryable) attempt failures on the platform.
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")


def to_wire(value: Any, *, what: str, path: str = "$") -> Any:
    """A plain copy of ``value`` as the engine would store it.

    Raises ``TypeError`` where the SDK's conversion does, and :class:`NotSerialisableError`
    (naming ``what`` and the path inside the value) where the engine's storage would.
    """
    _check_rpc(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime.datetime):
        return _as_utc_naive(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotSerialisableError(
                    f"{what} is not serialisable: {path} has a {type(key).__name__} key {key!r}"
                )
            out[key] = to_wire(item, what=what, path=f"{path}.{key}")
        return out
    if isinstance(value, list):
        return [to_wire(item, what=what, path=f"{path}[{i}]") for i, item in enumerate(value)]
    raise NotSerialisableError(
        f"{what} is not serialisable: {path} is a {type(value).__module__}."
        f"{type(value).__qualname__}; return plain data (dict, list, str, number, bool, None)"
    )


def from_wire(value: Any) -> Any:
    """A fresh copy of a stored value, dicts as :class:`JsDict`."""
    if isinstance(value, dict):
        return JsDict({key: from_wire(item) for key, item in value.items()})
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    return value


def _as_utc_naive(value: datetime.datetime) -> datetime.datetime:
    # A JS Date carries no zone; the SDK turns it back into a naive datetime, and a Worker's
    # local zone is UTC.
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value
