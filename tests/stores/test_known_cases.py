"""A database store hands the engine the case as it last wrote it, without asking the database
(onething.stores._known_cases): the copy may be stale, so a change made from it stands only
when its versioned commit succeeds, and every other outcome is decided again from a fresh read.
Two engines, each with its own store, share one SQLite file or one PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import START, sample_form, sample_materials, shipped

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation", "w1")
REGISTRAR = officer("market_regulation", "r1")
OTHER_REGISTRAR = officer("market_regulation", "r2")


class Spy:
    """A store that notes each read of a case: True for a remembered copy, False for a read
    of the database."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.recent: list[bool] = []

    def load_recent(self, case_id: str) -> Any:
        found = self._inner.load_recent(case_id)
        self.recent.append(found[1])
        return found

    def load(self, case_id: str) -> Any:
        self.recent.append(False)
        return self._inner.load(case_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture(params=["sqlite", "postgres"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine, Spy]]:
    """Two engines on one database, the first one's store watched."""
    if request.param == "sqlite":
        def opened() -> Any:
            return SqliteStore(tmp_path / "cases.sqlite3")
    else:
        from onething.stores.postgres import PostgresStore

        url = request.getfixturevalue("pg_database")

        def opened() -> Any:
            return PostgresStore(url)
    first, second = opened(), opened()
    spy = Spy(first)
    engines = (Engine(spy, clock=FixedClock(START)), Engine(second, clock=FixedClock(START)))
    engines[0].deploy(STARTUP)
    engines[1].deploy(STARTUP)
    yield engines[0], engines[1], spy
    first.close()
    second.close()


def _accepted(engine: Engine) -> str:
    case_id = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                            actor=applicant("430381199001011234")).id
    engine.accept(case_id, DESK)
    return case_id


def test_a_refusal_decided_on_a_stale_copy_is_decided_again(
        pair: tuple[Engine, Engine, Spy]) -> None:
    ours, theirs, spy = pair
    case_id = _accepted(ours)
    theirs.act(case_id, "registration", "approve", REGISTRAR)  # ours still holds it before
    spy.recent.clear()
    done = ours.act(case_id, "seal", "approve", officer("public_security", "p1"))
    assert spy.recent == [True, False]  # refused on the remembered copy, then read afresh
    assert done.outcomes["registration"]["by"] == theirs.people.text(REGISTRAR)
    assert done.outcomes["seal"]["outcome"] == "approve"
    assert [e.action for e in ours.history(case_id)].count("refused_attempt") == 0


def test_an_action_allowed_on_a_stale_copy_is_refused_when_the_case_moved_on(
        pair: tuple[Engine, Engine, Spy]) -> None:
    ours, theirs, spy = pair
    case_id = _accepted(ours)
    theirs.act(case_id, "registration", "refuse", REGISTRAR, "name taken")  # the case ends
    spy.recent.clear()
    with pytest.raises(ActionRefused):
        ours.act(case_id, "registration", "approve", OTHER_REGISTRAR)
    assert spy.recent[:2] == [True, False]  # allowed on the copy, its commit refused: afresh
    fresh = theirs.case(case_id)
    assert fresh.outcomes["registration"]["outcome"] == "refuse"
    assert fresh.delivery_kind == "refusal"


def test_nothing_a_rolled_back_batch_wrote_is_remembered(
        pair: tuple[Engine, Engine, Spy]) -> None:
    ours, theirs, _spy = pair
    case_id = _accepted(ours)
    with pytest.raises(RuntimeError), ours.batch():
        ours.act(case_id, "registration", "approve", OTHER_REGISTRAR)
        raise RuntimeError("the batch fails: nothing of it is written")
    # the same version number as the rolled-back change, another state
    theirs.act(case_id, "registration", "approve", REGISTRAR)
    ours.act(case_id, "seal", "approve", officer("public_security", "p1"))
    fresh = theirs.case(case_id)
    assert fresh.outcomes["registration"]["by"] == theirs.people.text(REGISTRAR)
    assert [e.actor for e in theirs.history(case_id) if e.step == "registration"] == \
        [theirs.people.text(REGISTRAR)]
