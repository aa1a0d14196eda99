"""Commands that run cases: the demo, and (against a database) the case commands."""


from __future__ import annotations

import sys
from typing import Any

import click

from onething.cli._shared import (
    actor_of,
    db_option,
    due_text,
    engine_on,
    format_option,
    json_out,
    materials_of,
    new_table,
    pairs,
    print_timeline,
)
from onething.cli.common import EXIT_INVALID, cli, escape, lang, out, read_json
from onething.errors import SubmissionRejected


@cli.command()
@click.argument("workflow_id")
@click.option("--form", "form_file", required=True,
              help="a JSON file of field values (- reads stdin)")
@click.option("--materials", "materials_file",
              help='a JSON file of materials: name to "reference" or to '
                   '{"ref": reference, "sha256": the SHA-256 of the document, "licence": '
                   'an electronic licence identifier}')
@click.option("--as", "actor", default="applicant:applicant", show_default=True,
              help="who submits: the applicant as the host identified them, or "
                   "window:<clerk>@<dept> / agent:<id> with --applicant")
@click.option("--applicant", help="the applicant's identity (ID number, 统一社会信用代码 or "
              "the sign-on's subject id) when a window or agent submits for them")
@click.option("--version", type=click.IntRange(1, 2 ** 31 - 1),
              help="a deployed version (default: the latest)")
@click.option("--key", help="an idempotency key: a retry with it returns the first case")
@db_option
@format_option
def submit(workflow_id: str, form_file: str, materials_file: str | None, actor: str,
           applicant: str | None, version: int | None, key: str | None, db: str,
           fmt: str) -> None:
    """Submit one form: every problem is reported at once, or a case is opened."""
    form = read_json(form_file, "--form")
    materials = read_json(materials_file, "--materials") if materials_file else {}
    with engine_on(db) as engine:
        try:
            case = engine.submit(workflow_id, form, materials, actor=actor_of(actor),
                                 applicant=applicant, version=version, idempotency_key=key)
        except SubmissionRejected as exc:
            if fmt == "json":
                json_out({"accepted": False, "problems": [p.to_json()
                                                           for p in exc.problems]})
            else:
                out.print(f"[red]{escape(exc.text(lang()))}[/red]")
            sys.exit(EXIT_INVALID)
    if fmt == "json":
        json_out({"accepted": True, "case": case.id})
    else:
        out.print(f"case {case.id} submitted; it awaits the window's intake")



@cli.command()
@click.argument("case_id")
@click.argument("action", metavar="ACTION")
@click.argument("step", required=False)
@click.option("--as", "actor", required=True,
              help="ROLE:ID[@DEPARTMENT], e.g. department:wang@tax")
@click.option("--reason", default="", help="why (shown on notices)")
@click.option("--method", help="for deliver: window, mail or electronic")
@click.option("--field", "fields", multiple=True, help="for supplement: name=value")
@click.option("--material", "materials", multiple=True,
              help="for supplement: name=reference, or name=reference#sha256=<64 hex digits>")
@click.option("--licence", "licences", multiple=True,
              help="for supplement: name=<electronic licence (电子证照) identifier, GB/T 36904>, "
              "alone or with --material for the same name")
@click.option("--kind", help="for start_special_procedure: hearing, tender, auction, "
              "inspection, testing, quarantine, appraisal or expert_review (行政许可法 art. 45)")
@click.option("--expected", help="for start_special_procedure: the time it needs, e.g. "
              "'20 WD' (the applicant is told it in writing)")
@click.option("--to", "to", help="for send_back: the step of the block before that is done "
              "again (退回重审)")
@click.option("--set", "sets", multiple=True, help="for a step that sets fields: name=value")
@click.option("--item", type=click.IntRange(min=1), help="for approve or refuse of a step done "
              "item by item (foreach): the item's number, from 1")
@click.option("--missing", multiple=True, help="for request_intake_correction (一次性告知): "
              "a missing or deficient material or field, as name or name=what is wrong; "
              "repeat it for every item (the one notice lists them all)")
@click.option("--refer-to", "refer_to", help="for refuse_intake: the organ to apply to when the "
              "matter is not this one's (行政许可法 art. 32 (二))")
@click.option("--key", help="an idempotency key: a retry with it changes nothing")
@db_option
@format_option
def act(case_id: str, action: str, step: str | None, actor: str, reason: str,
        method: str | None, fields: tuple[str, ...], materials: tuple[str, ...],
        licences: tuple[str, ...], kind: str | None, expected: str | None, to: str | None,
        sets: tuple[str, ...],
        item: int | None, missing: tuple[str, ...], refer_to: str | None, key: str | None,
        db: str, fmt: str) -> None:
    """Do ACTION on case CASE_ID (STEP for department actions and corrections).

    ACTION is one of accept, refuse_intake, request_intake_correction, approve,
    approve_on_commitment, refuse, request_correction, send_back, start_special_procedure,
    end_special_procedure, supplement (without STEP: the answer to the notice at intake),
    withdraw, deliver, or an outcome the step names (``outcomes:``)."""
    who = actor_of(actor)
    if item is not None and action not in ("approve", "refuse"):
        raise click.UsageError("--item goes with approve or refuse of a step done item by item "
                               "(foreach)")
    if missing and action != "request_intake_correction":
        raise click.UsageError("--missing goes with request_intake_correction")
    if sets and action in ("accept", "refuse_intake", "request_intake_correction", "withdraw",
                           "deliver", "supplement", "send_back", "request_correction",
                           "start_special_procedure", "end_special_procedure", "refuse"):
        raise click.UsageError("--set goes with a decision that goes on past a step that sets "
                               "fields: approve, approve_on_commitment or one of its outcomes")
    with engine_on(db) as engine:
        if action == "accept":
            case = engine.accept(case_id, who, idempotency_key=key)
        elif action == "refuse_intake":
            case = engine.refuse_intake(case_id, who, reason, refer_to=refer_to,
                                        idempotency_key=key)
        elif action == "request_intake_correction":
            items = [(m.partition("=")[0].strip(), m.partition("=")[2].strip())
                     for m in missing]
            if len({name for name, _ in items}) < len(items):
                raise click.UsageError("--missing names an item twice: say everything wrong "
                                       "with an item in its one --missing")
            case = engine.request_intake_correction(case_id, who, dict(items), reason=reason,
                                                    idempotency_key=key)
        elif action == "withdraw":
            case = engine.withdraw(case_id, who, reason, idempotency_key=key)
        elif action == "deliver":
            case = engine.deliver(case_id, who, method, idempotency_key=key)
        elif action == "supplement":
            case = engine.supplement(case_id, who, step=step, fields=pairs(fields, "--field"),
                                     materials=materials_of(materials, licences),
                                     idempotency_key=key)
        else:
            if not step:
                raise click.UsageError(f"'{action}' needs the STEP it decides on")
            if action == "send_back" and to:
                case = engine.send_back(case_id, step, who, to=to, reason=reason,
                                        idempotency_key=key)
            elif action == "start_special_procedure" and kind and expected:
                case = engine.start_special_procedure(case_id, step, who, kind=kind,
                                                      expected=expected, reason=reason,
                                                      idempotency_key=key)
            else:
                case = engine.act(case_id, step, action, who, reason,
                                  fields=pairs(sets, "--set") if sets else None,
                                  item=item, idempotency_key=key)
        delivery = engine.delivery(case_id)
    if fmt == "json":
        json_out({"case": case.id, "version": case.version, "ended": case.ended,
                   "delivery": delivery.kind if delivery else None})
    else:
        line = f"{action} done; case {case.id} is at version {case.version}"
        if delivery is not None:
            line += f"; delivered: {delivery.kind}"
        out.print(line)


@cli.command()
@click.argument("case_id")
@click.argument("step")
@click.option("--ok/--failed", "ok", required=True,
              help="the verification confirms the commitment, or finds it false")
@click.option("--as", "actor", required=True, help="the step's department, e.g. "
              "department:li@market_regulation")
@click.option("--reason", default="", help="what was found (required with --failed)")
@click.option("--key", help="an idempotency key: a retry with it changes nothing")
@db_option
@format_option
def verify(case_id: str, step: str, ok: bool, actor: str, reason: str, key: str | None,
           db: str, fmt: str) -> None:
    """Verify the commitment (告知承诺) STEP of case CASE_ID was approved on.

    --failed revokes the approval: before the delivery the case ends with the item's
    refusal; after it, a linked revocation case is opened.
    """
    with engine_on(db) as engine:
        case = engine.verify_commitment(case_id, step, ok, actor_of(actor), reason,
                                        idempotency_key=key)
        delivery = engine.delivery(case_id)
    follow_up = case.id if case.id != case_id else None
    if fmt == "json":
        json_out({"case": case_id, "confirmed": ok, "follow_up": follow_up,
                   "delivery": delivery.kind if delivery else None})
        return
    if ok:
        out.print(f"commitment of {step} confirmed on case {case_id}")
    elif follow_up:
        out.print(f"commitment of {step} revoked; revocation case {follow_up} opened "
                  f"(case {case_id} stays delivered)")
    else:
        out.print(f"commitment of {step} revoked; case {case_id} ended with a refusal")


@cli.command()
@click.argument("case_id")
@db_option
@format_option
def status(case_id: str, db: str, fmt: str) -> None:
    """Where case CASE_ID stands: waiting steps, what can happen, clocks, delivery."""
    with engine_on(db) as engine:
        case = engine.case(case_id)
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        waiting = engine.waiting_on(case_id)
        possible = engine.possible(case_id)
        clocks = engine.clocks(case_id)
        delivery = engine.delivery(case_id)
        from onething.cases.foreach import round_rule
        from onething.cases.forms import material_hashes, material_licences
        from onething.cases.step_fields import shown
        from onething.cases.typed_json import stored_moment_json, typed_fields, typed_form

        form = typed_form(deployed.workflow.form, case.form)
    if fmt == "json":
        json_out({"case": case.id, "workflow": f"{case.workflow_id}@{case.workflow_version}",
                   "green_channel": bool(case.priority), "waiting_on": waiting,
                   "possible": possible, "form": form,
                   "materials": material_hashes(case.materials),
                   "licences": material_licences(case.materials),
                   "commitments": {step: {"commitment": o["commitment"],
                                          "verify_by": stored_moment_json(o.get("verify_by"))}
                                   for step, o in case.outcomes.items()
                                   if o.get("commitment")},
                   "sign_offs": {step: [{"signer": s["signer"], "vote": s["vote"]}
                                        for s in o.get("sign_offs", ())]
                                 for step, o in case.outcomes.items()
                                 if o.get("outcome") == "signing"},
                   "set": {step: typed_fields(deployed.workflow.step(step).sets, o["set"])
                           for step, o in case.outcomes.items() if o.get("set")},
                   "children": {step: {c: o.get("ended", {}).get(c) for c in o["children"]}
                                for step, o in case.outcomes.items() if o.get("children")},
                   "intake_notice": _intake_notice(case.intake),
                   "parent": {"case": case.origin, "step": case.parent_step}
                   if case.parent_step else None,
                   "sent_back": {step: o.get("to") for step, o in case.outcomes.items()
                                 if o.get("outcome") == "send_back" and step not in waiting
                                 and not case.ended},
                   "clocks": [v.to_json() for v in clocks],
                   "delivery": delivery.to_json() if delivery else None})
        return
    out.print(f"case {case.id}: {deployed.workflow.title} "
              f"(v{case.workflow_version}{', green channel' if case.priority else ''})")
    if case.parent_step:
        out.print(f"  child case (子流程) of {case.origin}, step {case.parent_step}")
    notice = _intake_notice(case.intake)
    if notice is not None:
        out.print(f"  notice at intake (一次性告知) of {notice['issued_at'][:10]}: "
                  + ", ".join(notice["items"])
                  + (f"; answered {notice['answered_at'][:10]}" if notice["answered_at"]
                     else "; awaiting the applicant's answer"))
    if delivery is not None:
        out.print(f"  delivered: {delivery.kind} by {delivery.method} at "
                  f"{delivery.at:%Y-%m-%d %H:%M}" + (": " + ", ".join(delivery.items)
                                                     if delivery.items else ""))
    else:
        fallback = "the applicant (the notice at intake)" if notice is not None \
            and not notice["answered_at"] else "the window"
        out.print("  waiting on: " + (", ".join(waiting) or fallback))
        out.print("  possible now: " + ", ".join(possible))
    licences = material_licences(case.materials)
    if licences:  # identifiers of licences, not personal numbers (forms.check_licence)
        out.print("  electronic licences (电子证照): " + ", ".join(
            f"{name}={licence}" for name, licence in licences.items()))
    for step, outcome in case.outcomes.items():
        if outcome.get("outcome") == "signing":
            rule = round_rule(deployed.workflow, step, case.form)
            votes = [s["vote"] for s in outcome.get("sign_offs", ())]
            kind = "逐项办理" if deployed.workflow.step(step).foreach else \
                "专家评审" if rule is not None and rule.experts else "联合签署"
            out.print(f"  sign-off ({kind}) of {step}: {votes.count('approve')} approved, "
                      f"{votes.count('refuse')} refused of {rule.seats if rule else '?'}, "
                      f"{rule.need if rule else '?'} approvals needed")
            if rule is not None and rule.by:
                done = {s["signer"] for s in outcome.get("sign_offs", ())}
                out.print("    still open: " + ", ".join(s for s in rule.by if s not in done))
        if outcome.get("children"):
            ended = outcome.get("ended", {})
            out.print(f"  child cases (子流程) of {step}: " + ", ".join(
                f"{c} {ended.get(c, 'open')}" for c in outcome["children"]))
        if outcome.get("set"):
            out.print(f"  {step} set: " + ", ".join(
                f"{k}={v}" for k, v in shown(outcome["set"]).items()))
        if outcome.get("outcome") == "send_back" and step not in waiting and not case.ended:
            out.print(f"  {step} sent back (退回重审) {outcome.get('to')}: waiting for its "
                      "rework")
        if outcome.get("commitment"):
            by = outcome.get("verify_by", "")
            out.print(f"  commitment (告知承诺) of {step}: {outcome['commitment']}"
                      + (f", verify by {by[:10]}" if by and outcome["commitment"] == "pending"
                         else ""))
    table = new_table("clock", "status", "committed due", "statutory due")
    for view in clocks:
        table.add_row(view.key, view.status.value, due_text(view.committed_due),
                      due_text(view.statutory_due))
    if clocks:
        out.print(table)


@cli.command()
@click.argument("case_id")
@db_option
@format_option
def history(case_id: str, db: str, fmt: str) -> None:
    """Every event of case CASE_ID, in order."""
    with engine_on(db) as engine:
        events = engine.history(case_id)
    if fmt == "json":
        json_out([e.to_json() for e in events])
    else:
        print_timeline(events)


def _intake_notice(intake: dict[str, Any]) -> dict[str, Any] | None:
    """The one notice at intake as status shows it: when, what it names, when answered."""
    if not intake.get("notice_at"):
        return None
    items = intake.get("items")
    from onething.cases.typed_json import stored_moment_json

    return {"issued_at": stored_moment_json(intake["notice_at"]),
            "answered_at": stored_moment_json(intake.get("answered_at")),
            "items": [i["item"] for i in items] if isinstance(items, list) else []}
