"""Start forms: fields from a params type, and validation of what the browser submits.

A workflow's params type (a dataclass, a TypedDict or a pydantic model) becomes one input per
field. Submissions come back as strings (or booleans for checkboxes); :func:`validate_fields`
turns them into typed values and lets pydantic check the whole object, so the Studio accepts
exactly what the runtime will parse. Errors are keyed by field name (``""`` for the whole
object, ``"_json"`` for the JSON editor) so the page can show each next to its input.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from lunora_codegen.studio.backend import ParamField

__all__ = [
    "ParamsValidationError",
    "describe_fields",
    "params_kind",
    "type_label",
    "validate_fields",
    "validate_json",
]

JSON_FIELD = "_json"


class ParamsValidationError(Exception):
    """Submitted params do not fit the params type; ``errors`` maps field name -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k or 'params'}: {v}" for k, v in errors.items()))
        self.errors = errors


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def _is_pydantic_model(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_fields") and hasattr(tp, "model_validate")


def params_kind(tp: Any) -> str | None:
    """``dataclass``, ``TypedDict``, ``pydantic`` or ``None`` for any other type."""
    if tp is None:
        return None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return "dataclass"
    if _is_typeddict(tp):
        return "TypedDict"
    if _is_pydantic_model(tp):
        return "pydantic"
    return None


def type_label(tp: Any) -> str:
    """A short, readable name for a type annotation: ``int``, ``list[str]``, ``str | None``."""
    if tp is type(None):
        return "None"
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_label(a) for a in get_args(tp))
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in get_args(tp)) + "]"
    if origin is typing.Annotated:
        return type_label(get_args(tp)[0])
    if origin is not None:
        args = get_args(tp)
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_label(a) for a in args)}]" if args else name
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def _widget(tp: Any) -> tuple[str, tuple[str, ...]]:
    if tp is bool:
        return "boolean", ()
    if tp is int:
        return "integer", ()
    if tp is float:
        return "number", ()
    if tp is str:
        return "text", ()
    if get_origin(tp) is Literal and all(isinstance(a, str) for a in get_args(tp)):
        return "select", tuple(str(a) for a in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "select", tuple(str(m.value) for m in tp)
    return "json", ()


def _default_text(value: Any) -> str | None:
    if value is dataclasses.MISSING or value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


def _typeddict_keys(tp: Any) -> dict[str, tuple[Any, bool]]:
    """name -> (annotation, required) of a TypedDict.

    ``Required``/``NotRequired`` in the annotation win over ``__required_keys__``: under
    ``from __future__ import annotations`` Python 3.11 cannot see them when building the class.
    """
    required_keys: frozenset[str] = getattr(tp, "__required_keys__", frozenset())
    keys: dict[str, tuple[Any, bool]] = {}
    for name, ann in typing.get_type_hints(tp, include_extras=True).items():
        required = name in required_keys
        if get_origin(ann) is typing.Required:
            ann, required = get_args(ann)[0], True
        elif get_origin(ann) is typing.NotRequired:
            ann, required = get_args(ann)[0], False
        keys[name] = (ann, required)
    return keys


def _raw_fields(tp: Any) -> list[tuple[str, Any, bool, Any, str | None]]:
    """(name, annotation, required, default, description) for every field of ``tp``."""
    kind = params_kind(tp)
    out: list[tuple[str, Any, bool, Any, str | None]] = []
    if kind == "dataclass":
        hints = typing.get_type_hints(tp, include_extras=True)
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            default: Any = f.default
            if f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            required = default is dataclasses.MISSING
            out.append((f.name, hints.get(f.name, Any), required, default, None))
    elif kind == "TypedDict":
        for name, (bare, required) in _typeddict_keys(tp).items():
            out.append((name, bare, required, dataclasses.MISSING, None))
    elif kind == "pydantic":
        for name, info in tp.model_fields.items():
            required = bool(info.is_required())
            default = (
                dataclasses.MISSING if required else info.get_default(call_default_factory=True)
            )
            label = info.alias or name
            out.append((label, info.annotation, required, default, info.description))
    return out


def describe_fields(tp: Any) -> tuple[ParamField, ...] | None:
    """The Start form's inputs for ``tp``, or ``None`` when only the JSON editor fits."""
    if params_kind(tp) is None:
        return None
    try:
        raw = _raw_fields(tp)
    except (NameError, TypeError):  # an annotation that cannot be resolved: JSON editor only
        return None
    fields: list[ParamField] = []
    for name, ann, required, default, description in raw:
        inner, optional = _unwrap_optional(ann)
        kind, choices = _widget(inner)
        fields.append(
            ParamField(
                name=name,
                kind=kind,  # type: ignore[arg-type]
                type_label=type_label(ann),
                required=required,
                default=_default_text(default),
                choices=choices,
                optional=optional,
                description=description,
            )
        )
    return tuple(fields)


def _coerce(field: ParamField, raw: Any) -> Any:
    """The typed value of one submitted input; raises ``ValueError`` with a user message."""
    if field.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "on", "1", "false", "off", "0", ""):
            return raw.lower() in ("true", "on", "1")
        raise ValueError("must be true or false")
    if not isinstance(raw, str):
        return raw  # already typed (a JSON client): pydantic checks it below
    text = raw.strip() if field.kind != "text" else raw
    if field.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"must be a whole number, got {raw!r}") from None
    if field.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"must be a number, got {raw!r}") from None
    if field.kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"must be valid JSON ({error.msg} at column {error.colno})") from None
    return raw


@functools.cache
def _validation_type(tp: Any) -> Any:
    """``tp``, or for a ``typing.TypedDict`` on Python < 3.12 its ``typing_extensions`` twin.

    pydantic refuses ``typing.TypedDict`` before 3.12 (it lacks the runtime data pydantic
    needs); the twin has the same keys, types and required-ness, so validation is the same.
    """
    if not (_is_typeddict(tp) and type(tp).__module__ == "typing" and sys.version_info < (3, 12)):
        return tp
    import typing_extensions

    fields: dict[str, Any] = {}
    for name, (ann, required) in _typeddict_keys(tp).items():
        wrap = typing_extensions.Required if required else typing_extensions.NotRequired
        fields[name] = wrap[ann]
    return typing_extensions.TypedDict(tp.__name__, fields)  # type: ignore[operator]


def _pydantic_errors(tp: Any, data: Any) -> tuple[Any, dict[str, str]]:
    from pydantic import TypeAdapter, ValidationError

    adapter: TypeAdapter[Any] = TypeAdapter(_validation_type(tp))
    try:
        value = adapter.validate_python(data)
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            loc = item.get("loc", ())
            key = str(loc[0]) if loc else ""
            rest = ".".join(str(p) for p in loc[1:])
            message = str(item.get("msg", "invalid value"))
            errors.setdefault(key, f"{rest}: {message}" if rest else message)
        return None, errors
    return adapter.dump_python(value, mode="json", by_alias=True), {}


def validate_fields(tp: Any, submitted: Mapping[str, Any]) -> Any:
    """JSON-compatible params from form inputs; raises :class:`ParamsValidationError`.

    Empty inputs of optional or defaulted fields are left out so the type's own default applies
    (an empty optional field becomes ``None`` only when the field has no default).
    """
    fields = describe_fields(tp)
    if fields is None:
        raise ParamsValidationError({"": "this params type has no form; use the JSON editor"})
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    known = {f.name for f in fields}
    for name in submitted:
        if name not in known:
            errors[name] = f"unknown field {name!r}"
    for field in fields:
        raw = submitted.get(field.name)
        # An empty text input means "not given": a required str field wants a value, and a
        # deliberate empty string can still be sent from the JSON editor.
        empty = raw is None or (isinstance(raw, str) and raw.strip() == "")
        if empty and field.kind != "boolean":
            if field.required and not field.optional:
                errors[field.name] = "required"
            elif field.required:
                data[field.name] = None
            continue
        try:
            data[field.name] = _coerce(field, raw if raw is not None else False)
        except ValueError as error:
            errors[field.name] = str(error)
    if errors:
        raise ParamsValidationError(errors)
    params, type_errors = _pydantic_errors(tp, data)
    if type_errors:
        raise ParamsValidationError(type_errors)
    return params


def validate_json(tp: Any, text: str) -> Any:
    """JSON-compatible params from the JSON editor; raises :class:`ParamsValidationError`.

    With a known params type the value is checked against it; errors for one field are reported
    under that field's name, and parse errors under ``"_json"``.
    """
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ParamsValidationError(
            {JSON_FIELD: f"Params must be valid JSON: {error.msg} ({where})"}
        ) from None
    if params_kind(tp) is None:
        return value
    if not isinstance(value, dict):
        raise ParamsValidationError({JSON_FIELD: "Params must be a JSON object"})
    params, type_errors = _pydantic_errors(tp, value)
    if type_errors:
        raise ParamsValidationError(type_errors)
    return params
