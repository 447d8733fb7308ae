"""A mypy plugin that types ``ctx.run(ref, args)`` from the reference, as pyright does.

``run(ref: FunctionReference[A, R], args: A)`` is generic, and mypy infers ``A`` from both
arguments at once, without using the reference to type the second one: a dict literal for a
TypedDict (``ctx.run(api.messages.send, {"channel_id": ...})``) then fails with "Cannot infer
value of type parameter". This plugin binds ``A`` and ``R`` from the reference's type before
the arguments are checked, so the dict literal is checked as the TypedDict it must be, with
mypy's usual messages (missing key, extra key, wrong item type).

Enable it in the project's mypy configuration::

    [tool.mypy]
    plugins = ["lunora_codegen.mypy_plugin"]

It only ever runs inside mypy (the Worker never imports it).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.expandtype import expand_type
from mypy.maptype import map_instance_to_supertype
from mypy.plugin import MethodSigContext, Plugin
from mypy.types import CallableType, FunctionLike, Instance, get_proper_type

__all__ = ["LunoraPlugin", "plugin"]

#: The generic ``run`` methods whose ``A``/``R`` the reference decides.
_RUN_METHODS = frozenset(
    {
        "lunora_workflow.context.WorkflowContext.run",
        "lunora_workflow.calls.FunctionRunner.__call__",
    }
)
_REFERENCE = "lunora_workflow.functions.FunctionReference"


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


class LunoraPlugin(Plugin):
    """Binds ``ctx.run``'s type variables from its first argument."""

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        """The hook for the ``run`` methods; ``None`` for everything else."""
        return _bind_reference if fullname in _RUN_METHODS else None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    del version
    return LunoraPlugin
