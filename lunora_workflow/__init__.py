"""lunora_workflow: durable, multi-step workflows for Cloudflare Python Workers.

This is the runtime half, imported inside the Worker (Pyodide). It is pure Python with no
required dependencies; pydantic is imported only when a workflow's schema uses it.
"""

from lunora_workflow.config import Retries, StepConfig
from lunora_workflow.context import WorkflowContext
from lunora_workflow.define_step import StepDefinition, define_step
from lunora_workflow.definition import WorkflowDefinition, define_workflow
from lunora_workflow.errors import NonRetryableError
from lunora_workflow.events import ReceivedEvent, WorkflowEvent
from lunora_workflow.fanout import Branch, BranchCompensation, BranchFailedError, branch
from lunora_workflow.step_context import RollbackContext, StepContext

__all__ = [
    "Branch",
    "BranchCompensation",
    "BranchFailedError",
    "NonRetryableError",
    "ReceivedEvent",
    "Retries",
    "RollbackContext",
    "StepConfig",
    "StepContext",
    "StepDefinition",
    "WorkflowContext",
    "WorkflowDefinition",
    "WorkflowEvent",
    "branch",
    "define_step",
    "define_workflow",
]
