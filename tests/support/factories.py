"""What the tests build their cases from: the shipped workflows, sample forms and materials,
the actor allowed to do each event, a fixed pseudonym key, a second connection to a store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from onething.cases.records import SYSTEM, Actor, applicant, officer, window
from onething.engine.engine import Engine
from onething.language.load import load, parse
from onething.language.model import Workflow
from onething.net.model import Performer, Transition
from onething.privacy.pseudonyms import Pseudonyms
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))
START = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
STORE_KINDS = ["memory", "sqlite", "postgres"]


def actor_for(workflow: Workflow, t: Transition) -> Actor:
    """An actor allowed to perform ``t``."""
    if t.actor is Performer.DEPARTMENT:
        return officer(workflow.step(t.step).department)
    if t.actor is Performer.WINDOW:
        return window(workflow.lead)
    if t.actor is Performer.APPLICANT:
        return applicant()
    return SYSTEM


def perform(engine: Engine, case_id: str, workflow: Workflow, t: Transition) -> object:
    """Do ``t`` through the engine's public API, as the right actor."""
    who = actor_for(workflow, t)
    action = t.action
    if action == "accept":
        return engine.accept(case_id, who)
    if action == "refuse_intake":
        return engine.refuse_intake(case_id, who, "incomplete")
    if action == "deliver":
        return engine.deliver(case_id, who)
    if action == "request_intake_correction":
        return engine.request_intake_correction(case_id, who, [workflow.form.fields[0].name])
    if action == "supplement_intake":  # the same value again: what the notice named
        case = engine.case(case_id)
        named = [i["item"] for i in case.intake.get("items", ())][:1]  # none: refused
        return engine.supplement(case_id, who, fields={n: case.form.get(n) for n in named})
    if action == "withdraw":
        return engine.withdraw(case_id, who, "changed my mind")
    if action == "supplement":
        return engine.supplement(case_id, who, step=t.step)
    if action == "supplement_material":
        case = engine.case(case_id)
        return engine.supplement(case_id, who, materials={m: f"ref:{m}" for m in case.promised})
    if action == "start_special_procedure":
        return engine.start_special_procedure(case_id, t.step or "", who, kind="expert_review",
                                              expected="10 WD", reason="test")
    if action in ("correction_expired", "promise_expired", "intake_correction_expired"):
        return engine.expire(case_id, action, t.step)
    listed = workflow.step(t.step).foreach if t.step and action in ("approve", "refuse") \
        else None
    if listed:  # decided item by item: every item approves, or the first refuses
        count = len(engine.case(case_id).form.get(listed) or ())
        for item in range(1, (count if action == "approve" else 1) + 1):
            result = engine.act(case_id, t.step, action, who, reason="test", item=item)
        return result
    return engine.act(case_id, t.step, action, who, reason="test")


def shipped(name: str) -> Workflow:
    return load(ROOT / "workflows" / name)


VALID_ID_CARD = "430381199001011234"
#: one fixed keyring, for tests that compare what two engines recorded
TEST_KEYS = Pseudonyms({"t1": b"onething-tests-key-0123456789ab"})


def sample_value(field_type: str, values: tuple[str, ...] | None) -> object:
    """A valid value of a field type."""
    return {
        "string": "示例", "int": 1, "decimal": "1.5", "bool": True, "date": "2026-01-05",
        "enum": values[0] if values else None, "id_card": VALID_ID_CARD,
        "phone": "13800138000", "uscc": "91430381MA4L16JQ92",
    }[field_type]


def sample_form(workflow: Workflow) -> dict[str, object]:
    """A form that passes submission: every field filled with a valid value."""
    return {f.name: sample_value(f.type, f.values) for f in workflow.form.fields}


def sample_materials(workflow: Workflow, promise: bool = False) -> dict[str, str]:
    """References for every material (leaving deferrable ones out when ``promise``)."""
    return {m.name: f"ref:{m.name}" for m in workflow.form.materials
            if not (promise and m.deferrable is not None)}


def reopened(store: Store) -> Store:
    """A second connection to the same database (the same object for the memory store)."""
    if isinstance(store, SqliteStore):
        return SqliteStore(store.path)
    if isinstance(store, MemoryStore):
        return store
    from onething.stores.postgres import PostgresStore

    return PostgresStore(store.conninfo)  # type: ignore[attr-defined]


def personal_conditions(numbers: dict[str, str]) -> Workflow:
    """A workflow whose conditions compare personal fields with the personal numbers
    ``numbers`` (``id``, ``phone``, ``new_id``): what a diagram must draw masked."""
    return parse(f"""onething: 1
id: vip
version: 1
title: VIP
lead: office
form:
  fields:
    holder_id: {{type: id_card, required: true}}
    phone: {{type: phone, required: true}}
    note: {{type: string, personal: true}}
steps:
  - id: review
    department: office
    when: "holder_id == '{numbers['id']}' or phone in ['{numbers['phone']}'] or note == 'x'"
    reads: [holder_id, phone, note]
    produces: [permit]
  - choice:
      - when: "holder_id != '{numbers['new_id']}'"
        then: [{{id: a, department: office, reads: [holder_id]}}]
      - otherwise: [{{id: b, department: office}}]
delivery:
  bundle: [permit]
  methods: [window]
""", "vip.yaml").unwrap()
