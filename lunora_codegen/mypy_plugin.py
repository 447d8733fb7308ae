"""A mypy plugin that types ``ctx.run(ref, args)`` and ``ctx.run_step(step, args)`` from
their first argument, as pyright does, and keeps ``define_step`` precise.

``run(ref: FunctionReference[A, R], args: A)`` is generic, and mypy infers ``A`` from both
arguments at once, without using the reference to type the second one: a dict literal for a
TypedDict (``ctx.run(api.messages.send, {"channel_id": ...})``) then fails with "Cannot infer
value of type parameter". This plugin binds ``A`` and ``R`` from the reference's type before
the arguments are checked, so the dict literal is checked as the TypedDict it must be, with
mypy's usual messages (missing key, extra key, wrong item type). ``run_step`` gets the same
binding from its ``StepDefinition[A, R]``.

``define_step`` has an async overload (handler ``-> Awaitable[R]``) before a sync one
(``-> R``). When the handler's signature mentions ``Any`` (``-> dict[str, Any]``), mypy calls a
coroutine function's match of both ambiguous and erases the result to
``StepDefinition[Any, Any]``; the typing spec (and pyright) pick the first. This plugin
computes the result from the handler itself (``A`` from its second parameter, ``R`` from its
return type, awaited when that is awaitable), so every overload agrees and the precise type
stands.

Enable it in the project's mypy configuration::

    [tool.mypy]
    plugins = ["lunora_codegen.mypy_plugin"]

It only ever runs inside mypy (the Worker never imports it).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.expandtype import expand_type
from mypy.maptype import map_instance_to_supertype
from mypy.plugin import FunctionContext, MethodContext, MethodSigContext, Plugin
from mypy.subtypes import is_subtype
from mypy.types import (
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeVarId,
    TypeVarType,
    UninhabitedType,
    get_proper_type,
)

__all__ = ["LunoraPlugin", "plugin"]

#: The generic ``run`` methods whose ``A``/``R`` the reference decides.
_RUN_METHODS = frozenset(
    {
        "lunora_workflow.context.WorkflowContext.run",
        "lunora_workflow.calls.FunctionRunner.__call__",
    }
)
_REFERENCE = "lunora_workflow.functions.FunctionReference"
#: The ``run_step`` methods whose type variables the step decides.
_RUN_STEP_METHODS = frozenset({"lunora_workflow.context.WorkflowContext.run_step"})
_STEP = "lunora_workflow.define_step.StepDefinition"
#: What builds a ``StepDefinition`` from a handler (a call's result is recomputed).
_DEFINE_STEP = "lunora_workflow.define_step.define_step"
_STEP_DECORATOR_CALL = "lunora_workflow.define_step.StepDecorator.__call__"


def _bind_reference(ctx: MethodSigContext) -> FunctionLike:
    """The ``run`` signature with ``A`` and ``R`` replaced by the reference's arguments."""
    signature = ctx.default_signature
    if not ctx.args or not ctx.args[0] or len(signature.variables) < 2:
        return signature
    ref_type = get_proper_type(ctx.api.get_expression_type(ctx.args[0][0]))
    if not isinstance(ref_type, Instance):
        return signature
    base = next((info for info in ref_type.type.mro if info.fullname == _REFERENCE), None)
    if base is None:
        return signature
    reference = map_instance_to_supertype(ref_type, base)
    if len(reference.args) != 2:
        return signature
    # run's own type variables, in declaration order, are (A, R)
    mapping = {var.id: arg for var, arg in zip(signature.variables, reference.args, strict=False)}
    bound: CallableType = expand_type(signature, mapping)
    return bound.copy_modified(variables=[])


def _bind_step(ctx: MethodSigContext) -> FunctionLike:
    """The ``run_step`` signature with the step's ``A``/``R`` substituted into ``step``'s
    formal ``StepDefinition[X, Y]``; unchanged where a bound (a dataclass- or model-only
    overload) does not admit the step's args type, so that overload still fails."""
    signature = ctx.default_signature
    if not ctx.args or not ctx.args[0] or not signature.arg_types:
        return signature
    step_type = get_proper_type(ctx.api.get_expression_type(ctx.args[0][0]))
    formal = get_proper_type(signature.arg_types[0])
    if not isinstance(step_type, Instance) or not isinstance(formal, Instance):
        return signature
    base = next((info for info in step_type.type.mro if info.fullname == _STEP), None)
    if base is None or formal.type.fullname != _STEP:
        return signature
    actual = map_instance_to_supertype(step_type, base)
    mapping: dict[TypeVarId, Type] = {}
    for variable, arg in zip(formal.args, actual.args, strict=False):
        variable = get_proper_type(variable)
        if not isinstance(variable, TypeVarType):
            return signature
        if not is_subtype(arg, variable.upper_bound):
            # A mapping is only accepted for a dataclass or model args type: no call can
            # match this overload (rather than reporting the bound on the wrong overload).
            return signature.copy_modified(
                arg_types=[signature.arg_types[0], UninhabitedType(), *signature.arg_types[2:]]
            )
        mapping[variable.id] = arg
    bound: CallableType = expand_type(signature, mapping)
    remaining = [var for var in signature.variables if var.id not in mapping]
    return bound.copy_modified(variables=remaining)


def _awaited(tp: Type) -> Type:
    """What ``await`` on a value of ``tp`` gives when ``tp`` is awaitable, else ``tp``
    (the runtime awaits any awaitable a handler returns)."""
    proper = get_proper_type(tp)
    if isinstance(proper, Instance):
        awaitable = next(
            (info for info in proper.type.mro if info.fullname == "typing.Awaitable"), None
        )
        if awaitable is not None:
            args = map_instance_to_supertype(proper, awaitable).args
            if len(args) == 1:
                return args[0]
    return tp


def _step_from_handler(
    default: Type, names: list[list[str | None]] | list[str | None], arg_types: list[list[Type]]
) -> Type:
    result = get_proper_type(default)
    if not isinstance(result, Instance) or result.type.fullname != _STEP:
        return default
    handler = None
    for index, (name, types) in enumerate(zip(names, arg_types, strict=False)):
        # positional-only parameters may carry no name: the handler is the first one
        if (name == "handler" or (index == 0 and name is None)) and len(types) == 1:
            handler = get_proper_type(types[0])
    if not isinstance(handler, CallableType) or len(handler.arg_types) < 2 or handler.variables:
        return default
    return result.copy_modified(args=[handler.arg_types[1], _awaited(handler.ret_type)])


def _define_step_result(ctx: FunctionContext) -> Type:
    """``define_step(handler)``/``define_step(handler=...)``: ``StepDefinition[A, R]``."""
    return _step_from_handler(ctx.default_return_type, ctx.callee_arg_names, ctx.arg_types)


def _decorator_result(ctx: MethodContext) -> Type:
    """``define_step(name=...)(handler)``: ``StepDefinition[A, R]``."""
    return _step_from_handler(ctx.default_return_type, ctx.callee_arg_names, ctx.arg_types)


class LunoraPlugin(Plugin):
    """Binds ``ctx.run``/``ctx.run_step`` type variables from their first argument and
    computes ``define_step``'s result from the handler."""

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        """The hook for the ``run``/``run_step`` methods; ``None`` for everything else."""
        if fullname in _RUN_METHODS:
            return _bind_reference
        return _bind_step if fullname in _RUN_STEP_METHODS else None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        """The hook for ``define_step``; ``None`` for everything else."""
        return _define_step_result if fullname == _DEFINE_STEP else None

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        """The hook for ``define_step(...)``'s decorator; ``None`` for everything else."""
        return _decorator_result if fullname == _STEP_DECORATOR_CALL else None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    del version
    return LunoraPlugin
