"""Turn step results and workflow outputs into JSON-compatible data, or say exactly why not.

Cloudflare stores every step result and output as JSON-like data (at most 1 MiB per step).
Dataclasses, pydantic models and tuples are converted here so that a first run and a replay
(which sees the stored copy) return the same shape; anything else that JSON cannot carry is
reported with its path, e.g. ``$.items[2].when: datetime``.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import sys
from typing import Any

from lunora_workflow.schema import is_pydantic_model

__all__ = ["MAX_STEP_OUTPUT_BYTES", "NotJsonError", "json_size", "to_jsonable"]

#: Cloudflare's limit on one step's persisted result (and on an event payload).
MAX_STEP_OUTPUT_BYTES = 1_048_576


class NotJsonError(ValueError):
    """``value`` holds something JSON cannot represent; ``path`` and ``kind`` say where/what."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(f"{path}: {kind}")
        self.path = path
        self.kind = kind


def _child(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    import json  # lazily: json costs import time in every cold start, and is rarely needed

    return f"{path}[{json.dumps(key)}]"


def to_jsonable(value: Any, path: str = "$") -> Any:
    """A JSON-compatible copy of ``value`` (dicts with str keys, lists, str, finite numbers,
    bool, None); dataclasses and pydantic models become dicts, tuples become lists, enum
    members their values."""
    if value is None or type(value) in (str, bool, int):
        return value
    if isinstance(value, enum.Enum):
        # Checked before the str/int subclasses below, so a StrEnum or IntEnum member is
        # stored as its plain value, the shape a replay reads back.
        return to_jsonable(value.value, path)
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotJsonError(path, f"float {value!r} (JSON has no NaN or infinity)")
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotJsonError(path, f"dict key {key!r} ({type(key).__name__}) is not a str")
            out[key] = to_jsonable(item, _child(path, key))
        return out
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_jsonable(getattr(value, field.name), _child(path, field.name))
            for field in dataclasses.fields(value)
        }
    if "pydantic" in sys.modules and is_pydantic_model(type(value)):
        return to_jsonable(value.model_dump(mode="json"), path)
    raise NotJsonError(path, type(value).__name__)


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (how the platform measures the 1 MiB limit)."""
    import json

    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
