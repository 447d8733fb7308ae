"""A structured logger whose lines show up, fields included, in ``wrangler tail``.

Each call prints one line: ``[workflow:<export>] <message> {"field": value, ...}``. Inside a
Worker the line goes to the matching ``console`` method (so tail and the dashboard show the
level); under CPython to stdout (debug/info) or stderr (warn/error). Fields are rendered as
JSON; values JSON cannot carry fall back to ``repr``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Literal

from lunora_workflow import platform

__all__ = ["Level", "Logger", "Sink"]

Level = Literal["debug", "info", "warn", "error"]
#: Where finished lines go: ``sink(level, line)``.
Sink = Callable[[str, str], None]


def _default_sink(level: str, line: str) -> None:
    if platform.IS_PYODIDE:  # pragma: no cover - only inside a Worker
        import js

        getattr(js.console, level)(line)
        return
    print(line, file=sys.stderr if level in ("warn", "error") else sys.stdout, flush=True)


class Logger:
    """``log.info("message", key=value, ...)``; also ``debug``, ``warn`` and ``error``."""

    def __init__(
        self, prefix: str, fields: dict[str, Any] | None = None, sink: Sink | None = None
    ) -> None:
        self.prefix = prefix
        self.fields: dict[str, Any] = dict(fields or {})
        self._sink = sink or _default_sink

    @classmethod
    def for_workflow(cls, export: str, sink: Sink | None = None) -> Logger:
        """The logger of workflow ``export``: lines start with ``[workflow:<export>]``."""
        return cls(f"[workflow:{export}]", sink=sink)

    def bind(self, **fields: Any) -> Logger:
        """A logger that adds ``fields`` to every line (e.g. ``step=``, ``attempt=``)."""
        return Logger(self.prefix, {**self.fields, **fields}, self._sink)

    def format(self, message: str, fields: dict[str, Any]) -> str:
        """The line for ``message`` and ``fields`` (bound fields first)."""
        merged = {**self.fields, **fields}
        if not merged:
            return f"{self.prefix} {message}"
        import json  # lazily, to keep it out of the Worker's cold-start imports

        rendered = json.dumps(merged, default=repr, ensure_ascii=False, separators=(", ", ": "))
        return f"{self.prefix} {message} {rendered}"

    def log(self, level: Level, message: str, **fields: Any) -> None:
        """Print one line at ``level``."""
        self._sink(level, self.format(message, fields))

    def debug(self, message: str, **fields: Any) -> None:
        """Log at debug level."""
        self.log("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        """Log at info level."""
        self.log("info", message, **fields)

    def warn(self, message: str, **fields: Any) -> None:
        """Log at warn level."""
        self.log("warn", message, **fields)

    warning = warn

    def error(self, message: str, **fields: Any) -> None:
        """Log at error level."""
        self.log("error", message, **fields)
