"""Errors raised by the Workflows REST client."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BODY_PREVIEW_LIMIT",
    "CloudflareMessage",
    "UnsupportedByDialectError",
    "WorkflowsRestError",
]

#: How much of a response body an error message quotes; the full body stays on ``.body``.
BODY_PREVIEW_LIMIT = 256


@dataclass(frozen=True)
class CloudflareMessage:
    """One entry of a v4 envelope's ``errors``/``messages`` array."""

    code: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.code is None else f"[{self.code}] {self.message}"


def _preview(body: str) -> str:
    if len(body) <= BODY_PREVIEW_LIMIT:
        return body
    return body[:BODY_PREVIEW_LIMIT] + "… (truncated)"


class WorkflowsRestError(Exception):
    """A Workflows REST call failed.

    ``status`` is the HTTP status (``None`` when no response arrived: timeout, connection
    refused); ``errors`` are Cloudflare's ``{code, message}`` entries from the v4 envelope;
    ``body`` is the response text (already scrubbed of the API token). ``str(error)`` names the
    request, the status, the Cloudflare errors and at most 256 characters of the body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Sequence[CloudflareMessage] = (),
        body: str = "",
        method: str | None = None,
        url: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.errors: tuple[CloudflareMessage, ...] = tuple(errors)
        self.body = body
        self.method = method
        self.url = url
        self.attempts = attempts
        self.summary = message
        super().__init__(self._render())

    @property
    def codes(self) -> list[int]:
        """Cloudflare's numeric error codes, in envelope order."""
        return [e.code for e in self.errors if e.code is not None]

    @property
    def messages(self) -> list[str]:
        """Cloudflare's error messages, in envelope order."""
        return [e.message for e in self.errors]

    def _render(self) -> str:
        parts = []
        if self.method and self.url:
            parts.append(f"{self.method} {self.url}")
        head = "Cloudflare Workflows REST API"
        if self.status is not None:
            head += f" returned {self.status}"
        text = f"{head}: {self.summary}"
        if parts:
            text += f" ({parts[0]}"
            text += f", after {self.attempts} attempts)" if self.attempts > 1 else ")"
        if self.errors:
            text += "\n  " + "\n  ".join(str(e) for e in self.errors)
        if self.body:
            text += f"\n  body: {_preview(self.body)}"
        return text


class UnsupportedByDialectError(WorkflowsRestError):
    """The operation (or one of its options) does not exist on the API being talked to.

    Raised before any request is sent, e.g. ``get_step_output`` or ``restart(from_step=...)``
    against ``wrangler dev``'s local explorer API.
    """
