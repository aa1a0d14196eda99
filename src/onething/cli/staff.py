"""Commands for what people do around a case besides deciding it: authorize an agent
(帮办代办), extend a limit (行政许可法 art. 42), record a green-channel milestone, rate a
delivered case (好差评), and claim, release and assign a step inside its department. Each is
one library call; the library decides who may."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from onething.cli._shared import actor_of, db_option, engine_on, format_option, json_out
from onething.cli.common import cli, out
from onething.privacy.masking import mask_text

if TYPE_CHECKING:
    from onething.cases.records import Actor, Case

_KEY = click.option("--key", help="an idempotency key: a retry with it changes nothing")


def _done(fmt: str, text: str, data: dict[str, Any]) -> None:
    if fmt == "json":
        json_out(data)
    else:
        out.print(text)


@cli.command()
@click.argument("case_id")
@click.argument("agent")
@click.option("--as", "actor", required=True, help="the applicant, or the lead window for a "
              "帮办代办 handler, e.g. window:li@market_regulation")
@_KEY
@db_option
@format_option
def authorize(case_id: str, agent: str, actor: str, key: str | None, db: str, fmt: str) -> None:
    """Let AGENT act for the applicant of case CASE_ID (supplement, bring promised materials,
    withdraw, see and rate it); the agent is recorded as a pseudonym."""
    with engine_on(db) as engine:
        case = engine.authorize_agent(case_id, agent, actor_of(actor), idempotency_key=key)
    _done(fmt, f"agent {mask_text(agent)} authorized on case {case.id}",
          {"case": case.id, "version": case.version})


@cli.command()
@click.argument("case_id")
@click.argument("amount")
@click.option("--step", help="the step whose limit is extended (without it: the case's own "
              "limit)")
@click.option("--reason", required=True, help="why (the applicant is told it with the new date)")
@click.option("--as", "actor", required=True, help="a supervisor of the step's department, e.g. "
              "supervisor:zhao@tax; the case's limit of a jointly handled workflow: "
              "government_head:<name>@<government>")
@_KEY
@db_option
@format_option
def extend(case_id: str, amount: str, step: str | None, reason: str, actor: str,
           key: str | None, db: str, fmt: str) -> None:
    """Extend a limit of case CASE_ID by AMOUNT, e.g. `10WD` (行政许可法 art. 42: once, before
    it expires, with a reason)."""
    with engine_on(db) as engine:
        case = engine.extend(case_id, step, amount, actor_of(actor), reason,
                             idempotency_key=key)
        event = engine.history(case_id)[-1]
    due = event.data.get("due") if event.action == "extended" else None
    _done(fmt, f"{step or 'the case'} extended by {amount}" + (f": due {due}" if due else ""),
          {"case": case.id, "version": case.version, "clock": step or "case",
           "by": str(event.data.get("by", amount)), "due": due})


@cli.command()
@click.argument("case_id")
@click.argument("step")
@click.argument("milestone")
@click.option("--note", default="", help="what was done")
@click.option("--as", "actor", required=True, help="an officer of the step's department, "
              "e.g. department:wang@natural_resources")
@_KEY
@db_option
@format_option
def milestone(case_id: str, step: str, milestone: str, note: str, actor: str,
              key: str | None, db: str, fmt: str) -> None:
    """Record MILESTONE (green channel: arrange, feedback, progress, ...) on STEP of case
    CASE_ID."""
    with engine_on(db) as engine:
        case = engine.record_milestone(case_id, step, milestone, actor_of(actor), note,
                                       idempotency_key=key)
    _done(fmt, f"milestone {milestone} of {step} recorded on case {case.id}",
          {"case": case.id, "version": case.version, "step": step, "milestone": milestone})


@cli.command()
@click.argument("case_id")
@click.argument("rating", type=click.IntRange(1, 5))
@click.option("--comment", default="", help="what the applicant says")
@click.option("--as", "actor", required=True, help="the applicant (or an agent they "
              "authorized), e.g. applicant:<identity>")
@_KEY
@db_option
@format_option
def evaluate(case_id: str, rating: int, comment: str, actor: str, key: str | None, db: str,
             fmt: str) -> None:
    """Rate delivered case CASE_ID from 1 to 5, once (好差评); 1 or 2 opens a rectification
    case of its own."""
    with engine_on(db) as engine:
        case = engine.evaluate(case_id, rating, actor_of(actor), comment, idempotency_key=key)
        rated = engine.case(case_id)
    follow_up = case.id if case.id != case_id else None
    if follow_up is None and rated.follow_ups:
        follow_up = rated.follow_ups[-1]
    _done(fmt, f"case {case_id} rated {rating}" + (
        f"; rectification case {follow_up} opened" if follow_up else ""),
        {"case": case_id, "rating": rating, "follow_up": follow_up})


def _held(fmt: str, case: Case, step: str, actor: Actor) -> None:
    """What claim, release and assign print: who holds the step at the actor's department
    now (the library's answer, read from the case it returned)."""
    department = actor.department or ""
    holder = case.assigned.get(step, {}).get(department)
    _done(fmt, f"{step} of case {case.id} at {department}: " + (
        f"held by {holder}" if holder else "held by nobody"),
        {"case": case.id, "version": case.version, "step": step, "department": department,
         "holder": holder})


@cli.command()
@click.argument("case_id")
@click.argument("step")
@click.option("--as", "actor", required=True, help="an officer of a department the step waits "
              "on, e.g. department:wang@tax")
@_KEY
@db_option
@format_option
def claim(case_id: str, step: str, actor: str, key: str | None, db: str, fmt: str) -> None:
    """Take STEP of case CASE_ID: until it is released, only you (or a supervisor of your
    department) decide it there. Claiming what you hold changes nothing."""
    who = actor_of(actor)
    with engine_on(db) as engine:
        case = engine.claim(case_id, step, who, idempotency_key=key)
    _held(fmt, case, step, who)


@cli.command()
@click.argument("case_id")
@click.argument("step")
@click.option("--as", "actor", required=True, help="the officer holding the step, or a "
              "supervisor of its department, e.g. supervisor:zhao@tax")
@_KEY
@db_option
@format_option
def release(case_id: str, step: str, actor: str, key: str | None, db: str, fmt: str) -> None:
    """Let STEP of case CASE_ID go: any officer of the department may take or decide it."""
    who = actor_of(actor)
    with engine_on(db) as engine:
        case = engine.release(case_id, step, who, idempotency_key=key)
    _held(fmt, case, step, who)


@cli.command()
@click.argument("case_id")
@click.argument("step")
@click.argument("officer")
@click.option("--as", "actor", required=True, help="a supervisor of a department the step "
              "waits on, e.g. supervisor:zhao@tax")
@_KEY
@db_option
@format_option
def assign(case_id: str, step: str, officer: str, actor: str, key: str | None, db: str,
           fmt: str) -> None:
    """Give STEP of case CASE_ID to OFFICER (a staff id) of your department; a reassignment
    when another officer holds it."""
    who = actor_of(actor)
    with engine_on(db) as engine:
        case = engine.assign(case_id, step, officer, who, idempotency_key=key)
    _held(fmt, case, step, who)
