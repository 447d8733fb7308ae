"""lunora_workflow: durable, multi-step workflows for Cloudflare Python Workers.

This is the runtime half, imported inside the Worker (Pyodide). It is pure Python with no
required dependencies; pydantic is imported only when a workflow's schema uses it.
"""

from lunora_workflow.errors import NonRetryableError

__all__ = ["NonRetryableError"]
