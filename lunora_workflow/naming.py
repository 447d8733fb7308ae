"""Naming rules shared by the runtime, the code generator and the config reconciler.

Every name lunora derives from a workflow's export name comes from this module, so that the
class codegen writes, the binding the reconciler wires and the binding the runtime looks up
can never disagree.

- ``channel_welcome`` -> class ``ChannelWelcomeWorkflow``, binding ``WORKFLOW_CHANNEL_WELCOME``,
  deployed as ``channel-welcome``;
- ``order_pipeline`` with ``name="orders"`` -> ``OrderPipelineWorkflow``,
  ``WORKFLOW_ORDER_PIPELINE``, deployed as ``orders`` (``name=`` changes only the deployed name).
"""

from __future__ import annotations

import re

__all__ = [
    "DEPLOYED_NAME_MAX",
    "EVENT_TYPE_MAX",
    "INSTANCE_ID_MAX",
    "RESERVED_EVENT_PREFIX",
    "RESERVED_STEP_PREFIX",
    "binding_name",
    "class_name",
    "deployed_name",
    "deployed_name_problem",
    "event_type_problem",
    "export_name_problem",
    "instance_id_problem",
    "words",
]

#: Cloudflare's grammar for workflow names, instance ids and event types.
_CLOUDFLARE_ID = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$")
DEPLOYED_NAME_MAX = 64
INSTANCE_ID_MAX = 100
EVENT_TYPE_MAX = 100

#: Durable step names starting with this prefix belong to the framework (fan-out, saga).
RESERVED_STEP_PREFIX = "lunora:"
#: Event types starting with this prefix belong to the framework. Cloudflare rejects ``:`` in
#: event types, so unlike step names this prefix uses only ``[a-zA-Z0-9-_]``.
RESERVED_EVENT_PREFIX = "lunora-"

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# A word boundary is an underscore, or a lower-case letter or digit followed by an upper-case
# letter (so camelCase exports split the way the TypeScript original splits them).
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[A-Z]")


def words(export: str) -> list[str]:
    """Split an export name into lower-case words: ``orderPipeline`` -> ``order``, ``pipeline``."""
    out: list[str] = []
    for chunk in export.split("_"):
        out.extend(match.group(0).lower() for match in _WORD.finditer(chunk))
    return out


def class_name(export: str) -> str:
    """The generated class name: ``channel_welcome`` -> ``ChannelWelcomeWorkflow``.

    Splits on underscores and on lower-to-upper case changes, like the TypeScript original.
    """
    return "".join(word[:1].upper() + word[1:] for word in words(export)) + "Workflow"


def binding_name(export: str) -> str:
    """The wrangler binding on ``env``: ``channel_welcome`` -> ``WORKFLOW_CHANNEL_WELCOME``."""
    return "WORKFLOW_" + "_".join(word.upper() for word in words(export))


def deployed_name(export: str, override: str | None = None) -> str:
    """The deployed workflow name: the ``name=`` override, else the kebab-cased export name."""
    if override is not None:
        return override
    return "-".join(words(export))


def export_name_problem(export: str) -> str | None:
    """Why ``export`` cannot name a workflow, or ``None`` when it can."""
    if not _IDENTIFIER.match(export):
        return (
            f"workflow export {export!r} must be a Python identifier that starts with a letter "
            "(a leading underscore marks a private name, which is never exported)"
        )
    if not words(export):
        return f"workflow export {export!r} has no letters or digits to derive names from"
    return None


def _cloudflare_id_problem(kind: str, value: str, limit: int) -> str | None:
    if not value:
        return f"{kind} must not be empty"
    if len(value) > limit:
        return (
            f"{kind} {value!r} is {len(value)} characters long; Cloudflare allows at most {limit}"
        )
    if not _CLOUDFLARE_ID.match(value):
        return (
            f"{kind} {value!r} must match ^[a-zA-Z0-9_][a-zA-Z0-9-_]*$ "
            "(letters, digits, '-' and '_', not starting with '-')"
        )
    return None


def deployed_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid deployed workflow name, or ``None``."""
    return _cloudflare_id_problem("workflow name", name, DEPLOYED_NAME_MAX)


def instance_id_problem(instance_id: str) -> str | None:
    """Why ``instance_id`` is not a valid workflow instance id, or ``None``."""
    return _cloudflare_id_problem("instance id", instance_id, INSTANCE_ID_MAX)


def event_type_problem(event_type: str) -> str | None:
    """Why ``event_type`` is not a valid event type for ``send_event``/``wait_for_event``."""
    return _cloudflare_id_problem("event type", event_type, EVENT_TYPE_MAX)
