"""Time-limit amounts: ``20 WD``, ``0.5 WD``, ``10 ND``, ``4 WH``, ``2 NH``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import attrs

from onething.errors import DurationError


class Unit(StrEnum):
    """Working days, natural days, working hours, natural hours."""

    WD = "WD"
    ND = "ND"
    WH = "WH"
    NH = "NH"


_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$")


#: the largest amount of a duration: 100 years of natural days (no limit in law is longer)
MAX_AMOUNT = Decimal(36_500)


def _quoted(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


@attrs.frozen(cache_hash=True)
class Duration:
    """An amount of time in one unit; ``Duration.parse("0.5 WD")``."""

    amount: Decimal
    unit: Unit

    @classmethod
    def parse(cls, text: object) -> Duration:
        """The duration ``text`` writes (``"20 WD"``); a :class:`DurationError` says what is
        wrong with one that is not."""
        if type(text) is str and cls is Duration:
            known = _PARSED.get(text)
            if known is None:
                known = cls._parse(text)
                if len(_PARSED) < 4096:
                    _PARSED[text] = known
            return known
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: object) -> Duration:
        if isinstance(text, bool) or not isinstance(text, (str, int, float)):
            raise DurationError(f"expected a duration such as '20 WD', got a "
                                f"{type(text).__name__}")
        match = _DURATION.match(str(text)) if len(str(text)) <= 40 else None
        if not match:
            raise DurationError(
                f"cannot read {_quoted(text)} as a duration; write an amount and a unit, "
                "e.g. '20 WD'"
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
            raise DurationError(f"a duration must be positive, got {_quoted(text)}")
        if amount > MAX_AMOUNT:
            raise DurationError(f"{_quoted(text)} is longer than any time limit: at most "
                                f"{MAX_AMOUNT} of a unit")
        return cls(amount, unit)

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.unit.value}"


#: durations as read from their text (a case's clocks hold their limits as text)
_PARSED: dict[str, Duration] = {}
