"""The root of every error onething raises on purpose (a located, explained refusal).

Every message is masked when the error is made: an identity or mobile phone number quoted in
it (from a value, an actor id, a reason) is shown as ``430*************34``, so a host that
logs exceptions logs no personal number.
"""

from __future__ import annotations

from typing import Any


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        from onething.spec.values import mask_text

        return mask_text(value)
    return value


class OnethingError(Exception):
    """Base of every error the library raises on purpose; its text is masked."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(_masked(a) for a in args))

    def __str__(self) -> str:
        return _masked(super().__str__())


class InvalidArgument(OnethingError, ValueError):
    """A value passed to the library that it cannot use (a naive time, an empty idempotency
    key, a form that is not a mapping, ...); ``hint`` says what to pass instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f"; {hint}" if hint else ""))
        self.message = _masked(message)
        self.hint = _masked(hint)
