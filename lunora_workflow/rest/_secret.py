"""A string that never shows itself: the API token's only container."""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["REDACTED", "ApiToken"]

REDACTED = "**********"


class ApiToken:
    """Holds an API token; ``repr``/``str``/``format`` print ``**********``.

    The raw value is reachable only through :meth:`get_secret_value`, which the client calls at
    the moment it writes the ``Authorization`` header, so the token never sits in a log line, an
    exception message or a debugger's view of the client.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("the API token must be a string")
        self._value = value

    def get_secret_value(self) -> str:
        """The raw token. Call it only to build the ``Authorization`` header."""
        return self._value

    def __repr__(self) -> str:
        return f"ApiToken({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return format(REDACTED, spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiToken) and other._value == self._value

    def __hash__(self) -> int:
        return hash((ApiToken, self._value))

    def __reduce__(self) -> NoReturn:
        # A pickled client or error would carry the token to wherever the bytes go.
        raise TypeError("ApiToken cannot be pickled")

    def __deepcopy__(self, memo: dict[int, Any]) -> ApiToken:
        return self

    def __copy__(self) -> ApiToken:
        return self

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the token replaced by ``**********``."""
        if not self._value:
            return text
        return text.replace(self._value, REDACTED)
