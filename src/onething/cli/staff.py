"""Commands for what people do around a case besides deciding it: authorize an agent
(帮办代办), extend a limit (行政许可法 art. 42), record a green-channel milestone, and rate a
delivered case (好差评). Each is one library call; the library decides who may."""

from __future__ import annotations

from typing import Any

import click

from onething.cli._shared import actor_of, db_option, engine_on, format_option, json_out
from onething.cli.common import cli, out
from onething.privacy.masking import mask_text

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
