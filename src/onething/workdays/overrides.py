"""Calendar overrides: a YAML table of extra days off, make-up working days and official years."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import yaml

from onething.errors import OverridesError

_MAX_OVERRIDE_BYTES = 1_000_000


_MAX_RANGE_DAYS = 366


@attrs.frozen
class OverrideDay:
    """One date from an override table, with the reason given for it (if any)."""

    date: dt.date
    reason: str | None = None


def _canonical(days: Iterable[OverrideDay]) -> list[list[str | None]]:
    return [[d.date.isoformat(), d.reason] for d in sorted(days, key=lambda d: d.date)]


@attrs.frozen
class CalendarOverrides:
    """Extra days off, extra working days, and years whose full schedule the table carries.

    YAML form (every key optional)::

        official_years: [2027]        # this file lists the full 2027 schedule
        days_off:
          - 2027-01-01
          - {date: 2027-04-05, reason: 清明节}
          - {from: 2027-02-05, to: 2027-02-11, reason: 春节}
        working_days:
          - {date: 2027-02-20, reason: 春节调休上班}

    Overrides win over the installed data. For a declared year that the installed ``holidays``
    does not cover, *only* weekends and this table are used (no extrapolated holidays), so the
    table must list every day off of that year's notice.
    """

    days_off: tuple[OverrideDay, ...] = ()
    working_days: tuple[OverrideDay, ...] = ()
    official_years: frozenset[int] = frozenset()
    source: str = "<inline>"

    def __attrs_post_init__(self) -> None:
        off = {d.date for d in self.days_off}
        both = sorted(off & {d.date for d in self.working_days})
        if both:
            raise OverridesError(
                f"{self.source}: {both[0].isoformat()} is listed both in days_off and in "
                "working_days"
            )

    @property
    def sha256(self) -> str:
        """Hex digest of the table's content (not its comments or layout)."""
        payload = json.dumps(
            {
                "days_off": _canonical(self.days_off),
                "working_days": _canonical(self.working_days),
                "official_years": sorted(self.official_years),
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def empty(self) -> bool:
        """True when the table changes nothing."""
        return not (self.days_off or self.working_days or self.official_years)

    @classmethod
    def load(cls, path: str | Path) -> CalendarOverrides:
        """Read an override table from a YAML file."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise OverridesError(f"{p}: cannot read the override table: {exc.strerror}") from None
        if len(raw) > _MAX_OVERRIDE_BYTES:
            raise OverridesError(f"{p}: the override table is larger than 1 MB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OverridesError(f"{p}: the override table is not UTF-8 text") from None
        return cls.from_yaml(text, source=str(p))

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<inline>") -> CalendarOverrides:
        """Read an override table from YAML text; ``source`` names it in error messages."""
        try:
            data = yaml.load(text, Loader=_OverridesLoader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise OverridesError(f"{source}: not valid YAML{where}") from None
        return cls.from_mapping({} if data is None else data, source=source)

    @classmethod
    def from_mapping(cls, data: object, *, source: str = "<inline>") -> CalendarOverrides:
        """Build from already-parsed data (the YAML form above)."""
        if not isinstance(data, Mapping):
            raise OverridesError(
                f"{source}: expected a mapping with days_off, working_days, official_years"
            )
        unknown = sorted(str(k) for k in data if k not in _OVERRIDE_KEYS)
        if unknown:
            raise OverridesError(
                f"{source}: unknown key {unknown[0]!r}; expected one of "
                + ", ".join(_OVERRIDE_KEYS)
            )
        days_off = _read_days(data.get("days_off"), "days_off", source)
        working = _read_days(data.get("working_days"), "working_days", source)
        years = _read_years(data.get("official_years"), source)
        return cls(days_off, working, years, source)


class _OverridesLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text, so a bad date gets our error message."""


def _timestamp_as_text(loader: _OverridesLoader, node: yaml.Node) -> str:
    return loader.construct_yaml_str(node)


_OverridesLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


_OVERRIDE_KEYS = ("days_off", "working_days", "official_years")


_ENTRY_KEYS = ("date", "from", "to", "reason")


def _read_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise OverridesError(f"{where}: expected a date like 2027-02-05, got a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
        try:
            dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            raise OverridesError(
                f"{where}: expected a date like 2027-02-05, got a date and time {value!r}"
            )
    raise OverridesError(f"{where}: expected a date like 2027-02-05, got {value!r}")


def _read_days(value: object, key: str, source: str) -> tuple[OverrideDay, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise OverridesError(f"{source}: {key} must be a list of dates, got {value!r}")
    out: list[OverrideDay] = []
    seen: dict[dt.date, str] = {}
    for i, entry in enumerate(value):
        where = f"{source}: {key}[{i}]"
        if isinstance(entry, Mapping):
            bad = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
            if bad:
                raise OverridesError(
                    f"{where}: unknown key {bad[0]!r}; use date (or from/to) and reason"
                )
            reason = entry.get("reason")
            if reason is not None and not (isinstance(reason, str) and reason.strip()):
                raise OverridesError(f"{where}: reason must be non-empty text, got {reason!r}")
            reason = reason.strip() if isinstance(reason, str) else None
            if "date" in entry:
                if "from" in entry or "to" in entry:
                    raise OverridesError(f"{where}: give either date or from/to, not both")
                dates = [_read_date(entry["date"], where)]
            elif "from" in entry and "to" in entry:
                first = _read_date(entry["from"], f"{where}.from")
                last = _read_date(entry["to"], f"{where}.to")
                span = (last - first).days
                if span < 0:
                    raise OverridesError(f"{where}: 'to' {last} is before 'from' {first}")
                if span >= _MAX_RANGE_DAYS:
                    raise OverridesError(f"{where}: a range may cover at most 366 days")
                dates = [first + dt.timedelta(days=k) for k in range(span + 1)]
            else:
                raise OverridesError(f"{where}: needs date, or from and to")
        else:
            reason = None
            dates = [_read_date(entry, where)]
        for d in dates:
            if d in seen:
                raise OverridesError(f"{where}: {d.isoformat()} is already listed in {seen[d]}")
            seen[d] = f"{key}[{i}]"
            out.append(OverrideDay(d, reason))
    return tuple(out)


def _read_years(value: object, source: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise OverridesError(f"{source}: official_years must be a list of years, got {value!r}")
    years: set[int] = set()
    for i, y in enumerate(value):
        if isinstance(y, bool) or not isinstance(y, int) or not 1950 <= y <= 2200:
            raise OverridesError(f"{source}: official_years[{i}]: expected a year, got {y!r}")
        years.add(y)
    return frozenset(years)
