"""Case numbers people can read and say (办件编号): a region code, the day, a serial — made
behind the engine's id hook (``Engine(new_id=CaseNumbers("430381"))``), so the number *is* the
case's id everywhere (queues, search, history, notices, the command line).

The serial counts per number as printed without it (per region and day by default; per year
with a yearly format) in the store, one atomic increment per number, in a transaction of its
own: two windows, processes or machines never give one number twice, and a long batch does not
hold the others up. A submission that fails after its number was drawn leaves a gap; numbers are
never reused (on SQLite, a batch (``Engine.batch``) that rolls back gives back the numbers it
drew: SQLite has one writer, so the number is drawn inside the batch). The number carries the
day of the submission.

A case number is never masked. So that no masking ever touches one, a format whose numbers
could read as an identity or mobile phone number (eighteen digits with a birth date in the
middle, eleven digits starting 13-19) is refused when the generator is made; the default
format keeps its parts apart with dashes (``430381-20261206-000042``).
"""

from __future__ import annotations

import datetime as dt
import re
import string
import uuid
from typing import TYPE_CHECKING

from onething.errors import InvalidArgument
from onething.privacy.masking import clip, mask_text
from onething.workdays.clock import SHANGHAI

if TYPE_CHECKING:
    from onething.stores.base import Store
    from onething.workdays.clock import Clock

#: region code - day - six-digit serial: ``430381-20261206-000042``
DEFAULT_FORMAT = "{region}-{date:%Y%m%d}-{serial:06d}"
_REGION = re.compile(r"[0-9A-Za-z]{1,12}")
_FIELDS = frozenset({"region", "date", "serial"})
#: serials and days every format is tried with before it is accepted
_SAMPLE_SERIALS = (1, 7, 42, 99, 123, 1_000, 9_999, 12_345, 99_999, 123_456, 999_999)
_SAMPLE_DAYS = tuple(dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(0, 3650, 37))


class CaseNumbers:
    """A case-number generator for ``Engine(new_id=...)``: ``region`` is the 行政区划代码 (GB/T
    2260, six digits) or another short code of letters and digits; ``format`` a Python
    format string over ``region``, ``date`` (the day, in Asia/Shanghai) and ``serial`` (an
    int from 1)."""

    def __init__(self, region: str, format: str = DEFAULT_FORMAT) -> None:
        if not isinstance(region, str) or _REGION.fullmatch(region) is None:
            raise InvalidArgument(f"a region code is 1 to 12 letters or digits, not "
                                  f"{mask_text(str(region))[:20]!r}",
                                  "give the 行政区划代码, e.g. CaseNumbers('430381')")
        names = _field_names(format)
        if "serial" not in names or not names <= _FIELDS:
            raise InvalidArgument(f"a case number format names {{serial}} and only "
                                  f"{{region}}, {{date}} and {{serial}}: {clip(format, 60)!r}",
                                  f"e.g. {DEFAULT_FORMAT!r}")
        self.region = region
        self.format = format
        self._dated = "date" in names
        for day in _SAMPLE_DAYS:
            for serial in _SAMPLE_SERIALS:
                number = self._render(day, serial)
                if mask_text(number) != number:
                    raise InvalidArgument(
                        f"the case number format {clip(format, 60)!r} makes numbers that read as "
                        f"an identity or phone number ({mask_text(number)}), which would be "
                        "masked", f"keep the parts apart, e.g. {DEFAULT_FORMAT!r}")

    def _render(self, day: dt.date, serial: int) -> str:
        try:
            return self.format.format(region=self.region, date=day, serial=serial)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
            raise InvalidArgument(f"the case number format {clip(self.format, 60)!r} cannot be "
                                  f"filled in ({exc})", f"e.g. {DEFAULT_FORMAT!r}") from None

    def scope(self, day: dt.date) -> str:
        """What a serial counts within: the number as printed on ``day`` without its serial
        (``430381-20261207-#``) — per region and day by default, per year with a yearly
        format (``{date:%Y}``), one serial for all time without a date; never two numbers
        alike, whatever the format prints."""
        return "case-number:" + self.format.format(region=self.region, date=day,
                                                   serial=_SerialSlot())

    def bind(self, store: Store, clock: Clock) -> BoundNumbers:
        """The id hook the engine calls: the next number of the serial in ``store``."""
        return BoundNumbers(self, store, clock)


class BoundNumbers:
    """:class:`CaseNumbers` bound to a store and a clock: ``numbers(now)`` is the next case
    number on the day of ``now`` (the submission's moment; the clock's when None)."""

    def __init__(self, numbers: CaseNumbers, store: Store, clock: Clock) -> None:
        self.numbers, self.store, self.clock = numbers, store, clock

    def __call__(self, now: dt.datetime | None = None) -> str:
        day = (now or self.clock.now()).astimezone(SHANGHAI).date()
        numbers = self.numbers
        number = numbers._render(day, self.store.next_serial(numbers.scope(day)))
        if mask_text(number) != number:  # a serial beyond every sample tried
            raise InvalidArgument(f"case number {mask_text(number)} would read as a "
                                  "personal number", "widen the serial in the format")
        return number


class _SerialSlot:
    """Where the serial goes in a scope: ``#`` whatever its format spec."""

    def __format__(self, spec: str) -> str:
        return "#"


def _field_names(format: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(format) if name is not None}
    except ValueError as exc:
        raise InvalidArgument(f"the case number format {clip(format, 60)!r} is not a format "
                              f"string ({exc})", f"e.g. {DEFAULT_FORMAT!r}") from None


def random_id() -> str:
    """16 random hexadecimal digits, never ones that read as a phone or identity number."""
    while True:
        ident = uuid.uuid4().hex[:16]
        if mask_text(ident) == ident:
            return ident
