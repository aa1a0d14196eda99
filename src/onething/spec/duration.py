"""Time-limit amounts: ``20 WD``, ``0.5 WD``, ``10 ND``, ``4 WH``, ``2 NH``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import attrs


class Unit(StrEnum):
    """Working days, natural days, working hours, natural hours."""

    WD = "WD"
    ND = "ND"
    WH = "WH"
    NH = "NH"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


class DurationError(ValueError):
    """A duration string that cannot be read; the message says what is accepted."""


@attrs.frozen
class Duration:
    """An amount of time in one unit; ``Duration.parse("0.5 WD")``."""

    amount: Decimal
    unit: Unit

    @classmethod
    def parse(cls, text: object) -> Duration:
        if isinstance(text, bool) or not isinstance(text, (str, int, float)):
            raise DurationError(f"expected a duration such as '20 WD', got {text!r}")
        match = _DURATION.match(str(text))
        if not match:
            raise DurationError(
                f"cannot read {text!r} as a duration; write an amount and a unit, e.g. '20 WD'"
            )
        try:
            amount = Decimal(match.group(1))
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
            raise DurationError(str(exc)) from None
        unit_text = match.group(2).upper()
        try:
            unit = Unit(unit_text)
        except ValueError:
            raise DurationError(
                f"unknown unit {match.group(2)!r}; use WD (working days), ND (natural days), "
                "WH (working hours) or NH (natural hours)"
            ) from None
        if amount <= 0:
            raise DurationError(f"a duration must be positive, got {text!r}")
        return cls(amount, unit)

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.unit.value}"
