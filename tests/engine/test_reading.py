"""What a server acting for people asks the engine (engine/_reading.py), on every store: an
action taken only on the version the person read (If-Match), answered first from a known
idempotency key; the read check, recorded like every refusal; and the lookup code printed on
the acceptance notice."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import START, sample_form, sample_materials, shipped

from onething.cases.lookup import LOOKUP_ALPHABET
from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import NotAuthorized, UnknownCase, VersionChanged
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
DESK = window(STARTUP.lead, "w")


@pytest.fixture
def engine(any_store: Store) -> Engine:
    made = Engine(any_store, clock=FixedClock(START))
    made.deploy(STARTUP)
    return made


def submitted(engine: Engine) -> str:
    return engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP)).id


def test_an_action_on_another_version_raises_and_writes_nothing(engine: Engine) -> None:
    case_id = submitted(engine)
    with engine.expecting(case_id, 3), pytest.raises(VersionChanged) as raised:
        engine.accept(case_id, DESK)
    assert (raised.value.expected, raised.value.current) == (3, 0)
    assert raised.value.code == "refused.case.version_changed"
    assert [e.action for e in engine.history(case_id)] == ["submit"]
    with engine.expecting(case_id, 0):
        assert engine.accept(case_id, DESK).version == 1


def test_a_known_key_is_answered_before_the_version_is_checked(engine: Engine) -> None:
    case_id = submitted(engine)
    with engine.expecting(case_id, 0):
        first = engine.accept(case_id, DESK, idempotency_key="k")
    with engine.expecting(case_id, 0):  # stale now, but the request was made before
        again = engine.accept(case_id, DESK, idempotency_key="k")
    assert again == first
    with engine.expecting(case_id, 0), pytest.raises(VersionChanged):
        engine.accept(case_id, DESK, idempotency_key="other")


def test_the_expectation_holds_for_its_case_only_and_ends_with_its_block(engine: Engine) -> None:
    one, other = submitted(engine), submitted(engine)
    with engine.expecting(one, 9):
        engine.accept(other, DESK)  # another case: not concerned
    engine.accept(one, DESK)  # after the block: no expectation
    assert engine.case(one).version == engine.case(other).version == 1


def test_a_refusal_under_an_expectation_is_still_recorded(engine: Engine) -> None:
    case_id = submitted(engine)
    with engine.expecting(case_id, 0), pytest.raises(NotAuthorized):
        engine.accept(case_id, officer("tax"))
    assert [e.action for e in engine.history(case_id)] == ["submit", "refused_attempt"]


def test_readable_follows_the_rule_of_who_reads_and_records_a_refusal(engine: Engine) -> None:
    case_id = submitted(engine)
    engine.readable(case_id, applicant())
    engine.readable(case_id, DESK)
    engine.readable(case_id, officer("tax"))  # signs a step of the case
    with pytest.raises(NotAuthorized) as refused:
        engine.readable(case_id, officer("environment"))
    assert refused.value.code == "refused.case.not_visible"
    assert [e.action for e in engine.history(case_id)] == ["submit", "refused_attempt"]


def test_a_lookup_code_reads_back_as_people_type_it(engine: Engine) -> None:
    case_id = submitted(engine)
    code = engine.lookup_code(case_id)
    assert re.fullmatch(f"[{LOOKUP_ALPHABET}]{{5}}-[{LOOKUP_ALPHABET}]{{5}}", code)
    assert engine.lookup_code(case_id) == code  # derived, not drawn each time
    assert engine.lookup_matches(case_id, code)
    assert engine.lookup_matches(case_id, f" {code.lower().replace('-', ' ')} ")
    misread = code.replace("0", "O").replace("1", "I")
    assert engine.lookup_matches(case_id, misread)
    assert not engine.lookup_matches(case_id, code[:-1])
    assert engine.lookup_code(submitted(engine)) != code
    with pytest.raises(UnknownCase):
        engine.lookup_matches("no-such-case", code)


@settings(max_examples=60, deadline=None)
@given(guess=st.text(alphabet=LOOKUP_ALPHABET + "-", min_size=0, max_size=14))
def test_only_the_code_itself_matches(guess: str) -> None:
    engine = Engine(MemoryStore(), clock=FixedClock(START))
    engine.deploy(STARTUP)
    case_id = submitted(engine)
    code = engine.lookup_code(case_id)
    assert engine.lookup_matches(case_id, guess) == (guess.replace("-", "") ==
                                                     code.replace("-", ""))


def test_the_code_depends_on_the_stores_key() -> None:
    one, two = (Engine(MemoryStore(), clock=FixedClock(START)) for _ in range(2))
    assert one.lookup_code("same-number") != two.lookup_code("same-number")


def test_whoever_may_act_on_a_step_or_the_case_limit_may_read_the_case(engine: Engine) -> None:
    """Regression (found building the supervisor's pages): a supervisor of a department that
    signs a step (who assigns that step and approves its extension) and the government head
    who extends a jointly handled case's limit could act on the case but not read it, so no
    page could show them what they were asked to decide."""
    from onething.cases.records import Actor, Role, supervisor

    case_id = submitted(engine)
    engine.accept(case_id, DESK)
    engine.readable(case_id, supervisor("tax", "chief"))
    engine.readable(case_id, Actor(Role.GOVERNMENT_HEAD, "head", STARTUP.handling.government))
    for stranger in (supervisor("environment", "x"), Actor(Role.GOVERNMENT_HEAD, "h", "other")):
        with pytest.raises(NotAuthorized):
            engine.readable(case_id, stranger)


def test_an_applicant_submits_in_their_own_name_only(engine: Engine) -> None:
    """Regression (found by the review of the HTTP layer): an applicant could pass
    ``applicant=`` and file a case under someone else's identity."""
    form, materials = sample_form(STARTUP), sample_materials(STARTUP)
    with pytest.raises(NotAuthorized) as refused:
        engine.submit(STARTUP.id, form, materials, actor=applicant("zhang"), applicant="li")
    assert refused.value.code == "refused.case.not_for_others"
    own = engine.submit(STARTUP.id, form, materials, actor=applicant("zhang"),
                        applicant="zhang")
    assert engine.people.is_applicant(applicant("zhang"), own)
    engine.submit(STARTUP.id, form, materials, actor=DESK, applicant="li")  # the window may
