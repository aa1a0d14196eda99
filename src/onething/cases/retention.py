"""Retention periods: how long a delivered case keeps its personal data (PIPL art. 19, 47;
国家档案局令第8号 art. 6), in whole years, months or days."""

from __future__ import annotations

import calendar as _calendar
import re
from datetime import datetime, timedelta

import attrs

from onething.errors import ErasureRefused
from onething.privacy.masking import clip

_RETENTION = re.compile(r"\s*([0-9]{1,4})\s*(years?|months?|days?|y|m|d)\s*", re.IGNORECASE)
_UNITS = {"y": "years", "year": "years", "years": "years", "m": "months", "month": "months",
          "months": "months", "d": "days", "day": "days", "days": "days"}


@attrs.frozen
class Retention:
    """How long a delivered case keeps its personal data: whole years, months or days."""

    amount: int
    unit: str  # years, months or days

    @classmethod
    def parse(cls, text: str | Retention | timedelta) -> Retention:
        """``"10 years"``, ``"6 months"``, ``"30 days"`` (or ``10y``, ``6m``, ``30d``)."""
        if isinstance(text, Retention):
            return text
        if isinstance(text, timedelta):
            return cls(text.days, "days")
        found = _RETENTION.fullmatch(clip(text, 40))
        if found is None:
            raise ErasureRefused(f"{clip(text, 40)!r} is not a retention period",
                                 "write a whole number of years, months or days, e.g. "
                                 "'10 years', '6 months' or '30 days'",
                                 code="refused.case.retention_unreadable",
                                 params={"given": clip(text, 40)})
        return cls(int(found.group(1)), _UNITS[found.group(2).lower()])

    def after(self, moment: datetime) -> datetime:
        """The moment the period that starts at ``moment`` ends."""
        if self.unit == "days":
            return moment + timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "years" else 1)
        index = moment.month - 1 + months
        year, month = moment.year + index // 12, index % 12 + 1
        day = min(moment.day, _calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"


DEFAULT_RETENTION = Retention(10, "years")

