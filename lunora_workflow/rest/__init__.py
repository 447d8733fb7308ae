"""Client for Cloudflare's account-scoped Workflows REST API.

The Workflow binding inside a Worker can create one instance and read one instance's status;
listing instances and reading a step timeline need this REST API::

    from lunora_workflow.rest import create_workflows_rest_client

    with create_workflows_rest_client(account_id, api_token) as client:
        page = client.list_instances("order-pipeline", status="running")
        detail = client.get_instance("order-pipeline", page.instances[0].id)
        for entry in detail.steps:
            print(entry.type, entry.name, entry.attempt_count, entry.state)

``create_async_workflows_rest_client`` returns the async twin (use it inside a Worker).
Everything here is imported on first use, so importing this package costs nothing until a
client is created; ``import lunora_workflow`` never imports it at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lunora_workflow.rest._core import (
        CLOUDFLARE_API_BASE,
        LOCAL_EXPLORER_BASE,
        Dialect,
        NewInstance,
        RestartFrom,
        StatusAction,
    )
    from lunora_workflow.rest._retry import RetryPolicy, parse_retry_after
    from lunora_workflow.rest._secret import ApiToken
    from lunora_workflow.rest.client import (
        AsyncWorkflowsRestClient,
        WorkflowsRestClient,
        WorkflowsRestConfig,
        create_async_workflows_rest_client,
        create_workflows_rest_client,
    )
    from lunora_workflow.rest.errors import (
        CloudflareMessage,
        UnsupportedByDialectError,
        WorkflowsRestError,
    )
    from lunora_workflow.rest.models import (
        INSTANCE_STATUSES,
        CreatedInstance,
        ErrorInfo,
        InstanceDetail,
        InstancesPage,
        InstanceStatus,
        InstanceSummary,
        RetryConfig,
        StatusChange,
        StepAttempt,
        StepConfig,
        StepOutput,
        TimelineEntry,
        WorkflowsPage,
        WorkflowSummary,
    )

_EXPORTS: dict[str, str] = {
    "CLOUDFLARE_API_BASE": "_core",
    "LOCAL_EXPLORER_BASE": "_core",
    "Dialect": "_core",
    "NewInstance": "_core",
    "RestartFrom": "_core",
    "StatusAction": "_core",
    "RetryPolicy": "_retry",
    "parse_retry_after": "_retry",
    "ApiToken": "_secret",
    "AsyncWorkflowsRestClient": "client",
    "WorkflowsRestClient": "client",
    "WorkflowsRestConfig": "client",
    "create_async_workflows_rest_client": "client",
    "create_workflows_rest_client": "client",
    "CloudflareMessage": "errors",
    "UnsupportedByDialectError": "errors",
    "WorkflowsRestError": "errors",
    "INSTANCE_STATUSES": "models",
    "CreatedInstance": "models",
    "ErrorInfo": "models",
    "InstanceDetail": "models",
    "InstanceStatus": "models",
    "InstanceSummary": "models",
    "InstancesPage": "models",
    "RetryConfig": "models",
    "StatusChange": "models",
    "StepAttempt": "models",
    "StepConfig": "models",
    "StepOutput": "models",
    "TimelineEntry": "models",
    "WorkflowsPage": "models",
    "WorkflowSummary": "models",
}

__all__ = [
    "CLOUDFLARE_API_BASE",
    "INSTANCE_STATUSES",
    "LOCAL_EXPLORER_BASE",
    "ApiToken",
    "AsyncWorkflowsRestClient",
    "CloudflareMessage",
    "CreatedInstance",
    "Dialect",
    "ErrorInfo",
    "InstanceDetail",
    "InstanceStatus",
    "InstanceSummary",
    "InstancesPage",
    "NewInstance",
    "RestartFrom",
    "RetryConfig",
    "RetryPolicy",
    "StatusAction",
    "StatusChange",
    "StepAttempt",
    "StepConfig",
    "StepOutput",
    "TimelineEntry",
    "UnsupportedByDialectError",
    "WorkflowSummary",
    "WorkflowsPage",
    "WorkflowsRestClient",
    "WorkflowsRestConfig",
    "WorkflowsRestError",
    "create_async_workflows_rest_client",
    "create_workflows_rest_client",
    "parse_retry_after",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
