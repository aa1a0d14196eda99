"""One clock's data as a case keeps it: a slotted record read and written like a sparse dict.

A case holds a clock for the case, one for each step it has reached and one for each special
procedure, and most of them only ever hold when they started, their two limits and when they
finished. As a dict, such a clock took 184 bytes of a live case's memory before its texts; as
this record, 56, and its moments are the datetimes the case already holds
(docs/decisions/0035-clocks-as-slotted-records.md). What every action reads is an attribute
(``clock.started``, ``clock.finished``, ``clock.paused_since``, ``clock.committed``); the
rest (pauses, escalations, signals, milestones, an extension, a special procedure's kind, a
correction's notice time) sits in one dict made when the first of them is written.

The record keeps the mapping protocol the clocks have always had, so that code and tests read
``clock["started"]`` and ``clock.get("extension")`` as before, as the stores write them (a
moment as its ISO 8601 text): a key at its default (no pause, nothing escalated, not finished)
is absent, ``clock[key]`` reads an absent key as its default (``()`` for a list, None
otherwise), ``clock.get(key, d)`` as ``d``. A clock equals the dict of its present keys, and
:meth:`ClockRecord.as_dict` is what the stores write (the same keys as before; decoded, the
same record). Two differences from a dict, which no caller relies on: setting a key to None
removes it (a None the stores wrote was dropped when read back anyway: ``clocks.as_clock``), and
a moment's text is written back as :meth:`datetime.datetime.isoformat` writes it (text the
engine wrote comes back unchanged; ``Z`` would come back as ``+00:00``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

_V = TypeVar("_V")

#: what an absent key reads as through ``clock[key]`` (a key not named reads as None)
DEFAULTS: dict[str, Any] = {"pauses": (), "escalated": (), "paused_since": None,
                            "paused_reason": None, "extension": None, "finished": None,
                            "committed": None, "statutory": None, "milestones": None,
                            "signalled": ()}
#: the keys read as attributes, in the order the stores write them
SLOTTED = ("started", "committed", "statutory", "finished", "paused_since")
_SLOTTED = frozenset(SLOTTED)
#: the keys that hold a moment: a datetime as an attribute, ISO 8601 text as a key
MOMENTS = frozenset({"started", "finished", "paused_since"})
_ABSENT: Any = object()
_LIMIT_KEYS = frozenset({"committed", "statutory"})
_NO_LIMITS: tuple[str | None, str | None] = (None, None)
#: the (committed, statutory) pairs of every clock, one tuple per pair
_LIMITS: dict[tuple[str | None, str | None], tuple[str | None, str | None]] = {}


class ClockRecord:
    """A clock's data: ``started``, ``committed``, ``statutory``, ``finished`` and
    ``paused_since`` as attributes (None when absent; the three moments as aware datetimes),
    every key through the mapping protocol as the stores write it (the moments as their ISO
    8601 text). Lists are replaced, never appended to in place.

    Three slots hold it: ``started``, ``finished`` and the rest. The rest is, for most clocks,
    just the two limits as one pair (committed, statutory), one tuple shared by every clock
    with the same; once a clock has anything else (a pause, an escalation, a signal, ...) it
    is a dict of every key but the first two (:attr:`more`)."""

    __slots__ = ("_rest", "finished", "started")

    #: when the clock started (None only while a record is being built)
    started: dt.datetime
    finished: dt.datetime | None
    _rest: tuple[str | None, str | None] | dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        self.started = None  # type: ignore[assignment]  # set below or by the caller
        self.finished = None
        self._rest = _NO_LIMITS
        if data is not None:
            for key, value in data.items():
                self[key] = value
        for key, value in fields.items():
            self[key] = value

    @property
    def more(self) -> dict[str, Any] | None:
        """Every key but ``started`` and ``finished`` (``paused_since`` as a datetime), or
        None when the clock holds only its limits: what a hot reader of a rare key reads
        (``clock.more.get("pauses", ()) if clock.more else ()``). Write through
        ``clock[key] = value`` or the attributes."""
        rest = self._rest
        return None if isinstance(rest, tuple) else rest

    @property
    def limits(self) -> tuple[str | None, str | None]:
        """(committed, statutory): the limits as text ("5 WD"), None where there is none."""
        rest = self._rest
        if isinstance(rest, tuple):
            return rest
        return (rest.get("committed"), rest.get("statutory"))

    @property
    def committed(self) -> str | None:
        """The committed limit (承诺时限) as text, if the clock has one."""
        rest = self._rest
        return rest[0] if isinstance(rest, tuple) else rest.get("committed")

    @committed.setter
    def committed(self, value: str | None) -> None:
        self._put("committed", value)

    @property
    def statutory(self) -> str | None:
        """The statutory limit (法定时限) as text, if the clock has one."""
        rest = self._rest
        return rest[1] if isinstance(rest, tuple) else rest.get("statutory")

    @statutory.setter
    def statutory(self, value: str | None) -> None:
        self._put("statutory", value)

    @property
    def paused_since(self) -> dt.datetime | None:
        """When the open pause began, if the clock is paused."""
        rest = self._rest
        return None if isinstance(rest, tuple) else rest.get("paused_since")

    @paused_since.setter
    def paused_since(self, value: dt.datetime | None) -> None:
        self._put("paused_since", value)

    def _put(self, key: str, value: Any) -> None:
        """Set ``key`` of the rest (None removes it), keeping the rest a shared pair while it
        holds only the limits."""
        rest = self._rest
        if isinstance(rest, tuple):
            committed, statutory = rest
            if key == "committed":
                self._rest = _pair(value, statutory)
                return
            if key == "statutory":
                self._rest = _pair(committed, value)
                return
            if value is None:
                return
            rest = self._rest = {k: v for k, v in (("committed", committed),
                                                  ("statutory", statutory)) if v is not None}
        if value is not None:
            rest[key] = value
            return
        rest.pop(key, None)
        if rest.keys() <= _LIMIT_KEYS:
            self._rest = _pair(rest.get("committed"), rest.get("statutory"))

    def copy(self) -> ClockRecord:
        """A copy of the record (its rare keys' dict copied, their values shared)."""
        new = ClockRecord.__new__(ClockRecord)
        new.started, new.finished = self.started, self.finished
        rest = self._rest
        new._rest = rest if isinstance(rest, tuple) else dict(rest)
        return new

    # -- the mapping protocol ----------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when it is absent."""
        if key in _SLOTTED:
            value = getattr(self, key)
            if value is None:
                return default
            return _text(value) if key in MOMENTS else value
        more = self.more
        return more.get(key, default) if more else default

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _ABSENT)
        if value is _ABSENT:
            if key in DEFAULTS:
                return DEFAULTS[key]
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        if key in MOMENTS:
            setattr(self, key, _moment(value))
        elif key in _SLOTTED:
            setattr(self, key, value)
        else:
            self._put(key, value)

    def pop(self, key: str, default: Any = _ABSENT) -> Any:
        """Remove ``key`` and return its value (``default``, or KeyError, when absent)."""
        value = self.get(key, _ABSENT)
        if value is _ABSENT:
            if default is _ABSENT:
                raise KeyError(key)
            return default
        if key in _SLOTTED:
            setattr(self, key, None)
        else:
            self._put(key, None)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _ABSENT) is not _ABSENT

    def keys(self) -> Iterator[str]:
        """The present keys: the slotted ones first, in :data:`SLOTTED` order."""
        for key in SLOTTED:
            if getattr(self, key) is not None:
                yield key
        if self.more:
            yield from (key for key in self.more if key not in _SLOTTED)

    __iter__ = keys

    def items(self) -> Iterator[tuple[str, Any]]:
        """The present keys with their values."""
        for key in SLOTTED:
            value = getattr(self, key)
            if value is not None:
                yield key, _text(value) if key in MOMENTS else value
        if self.more:
            yield from ((k, v) for k, v in self.more.items() if k not in _SLOTTED)

    def __len__(self) -> int:
        return sum(1 for _ in self.keys())

    def __bool__(self) -> bool:  # what ``len() > 0`` says, without counting the keys
        rest = self._rest
        if rest != _NO_LIMITS if isinstance(rest, tuple) else rest:
            return True
        return self.finished is not None or self.started is not None

    def as_dict(self) -> dict[str, Any]:
        """The present keys as a plain dict: what a store writes and JSON shows (the same as
        ``dict(self.items())``, written out: every durable commit writes every clock)."""
        out: dict[str, Any] = {"started": _text(self.started)} if self.started is not None \
            else {}
        committed, statutory = self.limits
        if committed is not None:
            out["committed"] = committed
        if statutory is not None:
            out["statutory"] = statutory
        if self.finished is not None:
            out["finished"] = _text(self.finished)
        more = self.more
        if more:
            paused = more.get("paused_since")
            if paused is not None:
                out["paused_since"] = _text(paused)
            out.update((k, v) for k, v in more.items() if k not in _SLOTTED)
        return out

    @classmethod
    def starting(cls, started: dt.datetime, committed: str | None,
                 statutory: str | None) -> ClockRecord:
        """A clock that starts at ``started`` with these limits (text, None for none): what
        ``ClockRecord(started=..., committed=..., statutory=...)`` makes, written out (every
        action starts one)."""
        record = cls.__new__(cls)
        record.started = started
        record.finished = None
        record._rest = _NO_LIMITS if committed is None and statutory is None else \
            _pair(committed, statutory)
        return record

    @classmethod
    def stored(cls, data: Mapping[str, Any]) -> ClockRecord:
        """The record of a clock as a store wrote it (:meth:`as_dict`), its moments read
        from their text (the same as ``ClockRecord(data)``, written out: a case read from a
        database reads every clock)."""
        record = cls.__new__(cls)
        started, finished = data.get("started"), data.get("finished")
        moment = _moment(started)
        if moment is None:
            raise ValueError("a stored clock has no start")
        record.started = moment
        record.finished = _moment(finished)
        record._rest = _pair(data.get("committed"), data.get("statutory"))
        for key, value in data.items():
            if key not in _BASIC:
                record[key] = value
        return record

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClockRecord):
            return self.as_dict() == other.as_dict()
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable, as the dict it replaces

    def __repr__(self) -> str:
        return f"ClockRecord({self.as_dict()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return ClockRecord, (self.as_dict(),)


def _pair(committed: str | None, statutory: str | None) -> tuple[str | None, str | None]:
    """The one tuple of the limits (committed, statutory)."""
    pair = (committed, statutory)
    try:
        found = _LIMITS.get(pair)
    except TypeError:  # not text (a hand-edited record): kept as it is, not shared
        return pair
    return found if found is not None else keep(_LIMITS, pair, pair, 1_024)


_BASIC = frozenset({"started", "finished", "committed", "statutory"})
_MEMO = 16_384
#: ISO texts of moments (keyed by the moment's id, the moment kept with its text so that the
#: id is not reused while it is here): a case's finished clocks are written at every commit
_TEXT_OF: dict[int, tuple[dt.datetime, str]] = {}
#: moments read from their text (a case's clocks are read at every load from a database)
_MOMENT_OF: dict[Any, dt.datetime] = {}


def _text(moment: dt.datetime) -> str:
    """``moment.isoformat()``, remembered."""
    found = _TEXT_OF.get(id(moment))
    if found is None:
        found = keep(_TEXT_OF, id(moment), (moment, moment.isoformat()), _MEMO)
    return found[1]


def _moment(value: Any) -> dt.datetime | None:
    """A moment as the record keeps it: a datetime as it is, ISO 8601 text read (as what
    :meth:`datetime.datetime.isoformat` writes: the text comes back out unchanged)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        found = _MOMENT_OF.get(value)
        if found is None:
            found = keep(_MOMENT_OF, value, dt.datetime.fromisoformat(value), _MEMO)
        return found
    raise TypeError(f"a clock's moment is ISO 8601 text, not {type(value).__name__}")


def keep(table: dict[Any, _V], key: Any, value: _V, size: int = 4_096) -> _V:
    """``value``, remembered in ``table`` under ``key`` (a table of ``size`` starts again):
    the memos of clocks and of what a case shares with others."""
    if len(table) >= size:
        table.clear()
    table[key] = value
    return value
