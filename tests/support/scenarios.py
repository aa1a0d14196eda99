"""A small workflow with a 告知承诺 step and a parallel block (``permit``), the kinds of actor the
role model knows, and the case states the tests start from (submitted, accepted, in the block,
its step claimed or assigned, awaiting a correction, approved on commitment, ready,
delivered)."""

from __future__ import annotations

from onething.cases.records import (
    SYSTEM,
    Actor,
    agent,
    applicant,
    government_head,
    officer,
    supervisor,
    window,
)
from onething.engine.engine import Engine
from onething.language.load import parse
from onething.workdays import FixedClock
from tests.support.factories import START, shipped

WORKFLOW = """\
onething: 1
id: permit
version: 1
title: 许可
lead: window_office
time_limit: {statutory: 20 WD, source: "statute: test"}
form:
  fields:
    name: {type: string, required: true}
    false_record: {type: bool, default: false}
steps:
  - id: check_in
    department: window_office
    reads: [name]
  - parallel:
      - id: permit
        department: market
        time_limit: {statutory: 10 WD, source: "statute: test"}
        reads: [name, false_record]
        produces: [permit]
        commitment:
          when: not false_record
          verify_within: 20 WD
          source: test
      - id: sign
        department: city
        produces: [sign]
delivery:
  bundle: [permit, sign]
  methods: [window]
"""
MARKET = officer("market", "inspector")

PERMIT = parse(WORKFLOW, "permit.yaml").unwrap()
#: the same steps handled jointly (行政许可法 art. 42(2)): the case's extension is the county
#: head's to approve
JOINT_PERMIT = parse(WORKFLOW.replace("id: permit\n", "id: joint-permit\n", 1).replace(
    "lead: window_office\n", "lead: window_office\nhandling: {mode: joint, government: county, "
    "source: \"statute: 行政许可法 art. 26, 42(2)\"}\n", 1), "joint.yaml").unwrap()
GREEN = shipped("major_project_green_channel.yaml")

OWNER_ID = "430381199001011234"
ACTORS: dict[str, Actor] = {
    "owner": applicant(OWNER_ID),
    "stranger": applicant("11010519491231002X"),
    "helper": agent("helper-7"),  # authorized by the owner in every setup
    "outsider_agent": agent("someone-else"),
    "lead_window": window("window_office", "w1"),
    "other_window": window("city", "w2"),
    "lead_officer": officer("window_office", "o1"),
    "step_officer": officer("market", "m1"),
    "other_officer": officer("city", "c1"),
    "lead_supervisor": supervisor("window_office", "boss"),
    "step_supervisor": supervisor("market", "chief"),
    "other_supervisor": supervisor("tax", "head"),
    "government_head": government_head("county", "magistrate"),
    "other_government_head": government_head("city", "mayor"),
    "system": SYSTEM,
}


def fresh() -> Engine:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(PERMIT)
    engine.deploy(JOINT_PERMIT)
    return engine


def submitted(engine: Engine, workflow: str = "permit") -> str:
    case = engine.submit(workflow, {"name": "小店"}, actor=ACTORS["owner"])
    engine.authorize_agent(case.id, "helper-7", ACTORS["owner"])
    return case.id


def accepted(engine: Engine, workflow: str = "permit") -> str:
    case_id = submitted(engine, workflow)
    engine.accept(case_id, ACTORS["lead_window"])
    return case_id


def in_block(engine: Engine, workflow: str = "permit") -> str:
    case_id = accepted(engine, workflow)
    engine.act(case_id, "check_in", "approve", ACTORS["lead_officer"])
    return case_id


def claimed(engine: Engine) -> str:
    """A case in its parallel block whose ``permit`` step the step officer has claimed."""
    case_id = in_block(engine)
    engine.claim(case_id, "permit", ACTORS["step_officer"])
    return case_id


def held_by_another(engine: Engine) -> str:
    """A case in its parallel block whose ``permit`` step the market supervisor assigned to
    an officer none of :data:`ACTORS` is."""
    case_id = in_block(engine)
    engine.assign(case_id, "permit", "m9", ACTORS["step_supervisor"])
    return case_id


def notified(engine: Engine) -> str:
    """A submitted case the window sent its one notice at intake (一次性告知)."""
    case_id = submitted(engine)
    engine.request_intake_correction(case_id, ACTORS["lead_window"], {"name": "与执照不符"})
    return case_id


def jointly_in_block(engine: Engine) -> str:
    """A case of the jointly handled ``joint-permit`` in its parallel block."""
    return in_block(engine, "joint-permit")


def correcting(engine: Engine) -> str:
    case_id = in_block(engine)
    engine.act(case_id, "permit", "request_correction", ACTORS["step_officer"], "盖章")
    return case_id


def on_commitment(engine: Engine) -> str:
    case_id = in_block(engine)
    engine.act(case_id, "permit", "approve_on_commitment", ACTORS["step_officer"])
    return case_id


def ready(engine: Engine) -> str:
    case_id = on_commitment(engine)
    engine.act(case_id, "sign", "approve", ACTORS["other_officer"])
    return case_id


def delivered(engine: Engine) -> str:
    case_id = ready(engine)
    engine.deliver(case_id, ACTORS["lead_window"])
    return case_id


#: a workflow whose loop has no exit (unsound: stuck)
LOOP = """onething: 1
id: loop
version: 1
title: loop
lead: hall
form:
  fields:
    x: {type: int, required: true}
steps:
  - {id: a, department: d, reads: [x]}
  - {id: b, department: d, goto: {approve: a}}
delivery:
  bundle: []
"""
