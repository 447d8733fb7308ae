"""Parse JSON-shaped data into a declared type: pydantic model, dataclass, TypedDict or plain.

Used for workflow params, ``define_step`` args and returns, and instance outputs. pydantic is
never imported here: a pydantic model can only exist once its module imported pydantic, so the
check looks in ``sys.modules`` and costs nothing for workflows that do not use it.

Supported annotations: ``Any``/``object`` (anything), ``None``, ``str``, ``int``, ``float``
(ints accepted), ``bool``, ``list[X]``, ``tuple[...]``, ``dict[str, X]`` and ``Mapping``,
``X | Y``/``Optional``, ``Literal[...]``, enums (from their values), dataclasses, TypedDicts,
pydantic models; any other
class is checked with ``isinstance``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from lunora_workflow.errors import SchemaError

__all__ = ["args_and_return_types", "describe", "is_pydantic_model", "parse_value", "resolve_hints"]


def is_pydantic_model(tp: object) -> bool:
    """True when ``tp`` is a pydantic ``BaseModel`` subclass (without importing pydantic)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(tp, type):
        return False
    return issubclass(tp, pydantic.BaseModel)


@functools.lru_cache(maxsize=256)
def resolve_hints(owner: Any) -> dict[str, Any]:
    """``typing.get_type_hints`` for a class or function, cached (works with postponed
    annotations, as long as the names are importable from the owner's module)."""
    return typing.get_type_hints(owner)


def args_and_return_types(handler: Any, fail: Callable[[str], Exception]) -> tuple[Any, Any]:
    """``(type of the second positional parameter, return type)`` of a ``(ctx, args) -> R``
    handler, ``Any`` where unannotated. Steps and functions share this shape; ``fail`` builds
    the caller's own error from the reason the annotations could not be resolved."""
    try:
        hints = resolve_hints(handler)
    except Exception as error:
        where = getattr(handler, "__qualname__", handler)
        raise fail(f"cannot resolve the annotations of {where!r}: {error}") from error
    code = getattr(handler, "__code__", None)
    names = list(code.co_varnames[: code.co_argcount]) if code is not None else []
    args_type = hints.get(names[1], Any) if len(names) > 1 else Any
    return args_type, hints.get("return", Any)


def describe(tp: object) -> str:
    """A short readable name for a type annotation, for error messages."""
    if tp is type(None) or tp is None:
        return "None"
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " | ".join(describe(arm) for arm in typing.get_args(tp))
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return repr(tp).replace("typing.", "")


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def parse_value(tp: Any, value: Any, path: str) -> Any:
    """``value`` parsed into ``tp``; raises :class:`SchemaError` naming ``path`` on a mismatch.

    Dataclasses are constructed from mappings; an existing instance of the class is accepted
    as it is. TypedDicts and plain containers come back as new dicts and lists.
    """
    if tp is Any or tp is object:
        return value
    if tp is None or tp is type(None):
        if value is not None:
            raise SchemaError(path, f"expected None, got {_type_name(value)}")
        return None
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return _parse_union(tp, value, path)
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        options = ", ".join(repr(arg) for arg in typing.get_args(tp))
        raise SchemaError(path, f"expected one of {options}, got {value!r}")
    if origin is not None:
        return _parse_generic(tp, origin, value, path)
    if is_pydantic_model(tp):
        return _parse_pydantic(tp, value, path)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _parse_dataclass(tp, value, path)
    if typing.is_typeddict(tp):
        return _parse_typeddict(tp, value, path)
    return _parse_plain(tp, value, path)


def parse_params(tp: Any, payload: Any) -> Any:
    """Instance params ``payload`` parsed into a workflow's Params type ``tp``.

    As :func:`parse_value` (path ``params``), except that a workflow declared without params
    (``WorkflowContext[None]``) also takes an empty object: an instance created with no params
    gets ``{}`` (wrangler's ``workflows trigger`` default, and what ``create()`` sends), and
    refusing it would leave such a workflow impossible to start.
    """
    if (tp is None or tp is type(None)) and isinstance(payload, Mapping) and not payload:
        return None
    return parse_value(tp, payload, "params")


def _parse_union(tp: Any, value: Any, path: str) -> Any:
    arms = typing.get_args(tp)
    if value is None and type(None) in arms:
        return None
    for arm in arms:
        if arm is type(None):
            continue
        try:
            return parse_value(arm, value, path)
        except SchemaError:
            continue
    raise SchemaError(path, f"expected {describe(tp)}, got {_type_name(value)}")


def _parse_generic(tp: Any, origin: Any, value: Any, path: str) -> Any:
    args = typing.get_args(tp)
    if origin in (list, typing.Sequence, _abc("Sequence")):
        if not isinstance(value, (list, tuple)):
            raise SchemaError(path, f"expected a list, got {_type_name(value)}")
        item = args[0] if args else Any
        return [parse_value(item, entry, f"{path}[{i}]") for i, entry in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise SchemaError(path, f"expected a list, got {_type_name(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(parse_value(args[0], e, f"{path}[{i}]") for i, e in enumerate(value))
        if len(args) != len(value):
            raise SchemaError(path, f"expected {len(args)} items, got {len(value)}")
        return tuple(
            parse_value(a, e, f"{path}[{i}]")
            for i, (a, e) in enumerate(zip(args, value, strict=True))
        )
    if origin in (dict, Mapping, _abc("Mapping"), _abc("MutableMapping")):
        if not isinstance(value, Mapping):
            raise SchemaError(path, f"expected an object, got {_type_name(value)}")
        value_type = args[1] if len(args) == 2 else Any
        out: dict[Any, Any] = {}
        for key, entry in value.items():
            if args and args[0] is str and not isinstance(key, str):
                raise SchemaError(path, f"key {key!r} is not a string")
            out[key] = parse_value(value_type, entry, _child(path, key))
        return out
    if isinstance(origin, type):
        # Another generic class (e.g. a user's Generic model): check the class only.
        return _parse_plain(origin, value, path)
    return value


def _abc(name: str) -> Any:
    import collections.abc

    return getattr(collections.abc, name)


def _child(path: str, key: object) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def _parse_pydantic(tp: Any, value: Any, path: str) -> Any:
    if isinstance(value, tp):
        return value
    pydantic = sys.modules["pydantic"]
    try:
        return tp.model_validate(value)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        location = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        )
        more = error.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise SchemaError(f"{path}{location}", f"{first['msg']}{suffix}") from error


def _parse_dataclass(tp: Any, value: Any, path: str) -> Any:
    if isinstance(value, tp):
        # Dataclasses do not check their fields; an instance is checked, then kept as it is.
        hints = resolve_hints(tp)
        for field in dataclasses.fields(tp):
            parse_value(
                hints.get(field.name, Any), getattr(value, field.name), _child(path, field.name)
            )
        return value
    if not isinstance(value, Mapping):
        raise SchemaError(path, f"expected an object for {tp.__name__}, got {_type_name(value)}")
    hints = resolve_hints(tp)
    fields = [field for field in dataclasses.fields(tp) if field.init]
    names = {field.name for field in fields}
    unknown = [str(key) for key in value if key not in names]
    if unknown:
        raise SchemaError(_child(path, unknown[0]), f"unexpected field for {tp.__name__}")
    kwargs: dict[str, Any] = {}
    for field in fields:
        if field.name in value:
            kwargs[field.name] = parse_value(
                hints.get(field.name, Any), value[field.name], _child(path, field.name)
            )
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise SchemaError(_child(path, field.name), "required field is missing")
    return tp(**kwargs)


def _parse_typeddict(tp: Any, value: Any, path: str) -> Any:
    if not isinstance(value, Mapping):
        raise SchemaError(path, f"expected an object for {tp.__name__}, got {_type_name(value)}")
    hints = resolve_hints(tp)
    unknown = [str(key) for key in value if key not in hints]
    if unknown:
        raise SchemaError(_child(path, unknown[0]), f"unexpected key for {tp.__name__}")
    out: dict[str, Any] = {}
    for key in sorted(tp.__required_keys__):
        if key not in value:
            raise SchemaError(_child(path, key), "required key is missing")
    for key, entry in value.items():
        out[key] = parse_value(hints[key], entry, _child(path, key))
    return out


def _parse_plain(tp: Any, value: Any, path: str) -> Any:
    if not isinstance(tp, type):
        return value
    if issubclass(tp, enum.Enum):
        return _parse_enum(tp, value, path)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise SchemaError(path, "expected int, got bool")
    if tp in (dict, Mapping) and isinstance(value, Mapping):
        return dict(value)
    if tp is list and isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, tp):
        return value
    raise SchemaError(path, f"expected {tp.__name__}, got {_type_name(value)}")


def _parse_enum(tp: type[enum.Enum], value: Any, path: str) -> Any:
    """A member of ``tp`` from its stored value (what :func:`to_jsonable` writes)."""
    if isinstance(value, tp):
        return value
    if not isinstance(value, bool):  # True would pass for the value 1
        try:
            return tp(value)
        except ValueError:
            pass
    options = ", ".join(repr(member.value) for member in tp)
    raise SchemaError(path, f"expected one of {options} ({tp.__name__}), got {value!r}")
