"""A load client: submits cases and acts on its own and other clients' cases at once.

Used by tests/stores/test_concurrency.py, in threads (:func:`work`) and as a process:

    python -m tests.support.load_driver DB WORKFLOW_FILE NAME CASES SEED  # from the root

Every acknowledged request is reported as one JSON line ``{"ack": ...}`` (in a process, on
stdout, flushed before the next request); every error that is not an expected refusal as
``{"error": ...}``. The test then checks the database against the acknowledgements.

A client drives each case along one script: accept, approve registration, approve the six
parallel steps in a random order, deliver, and rate it badly (which opens a rectification case
with the rating, so ratings of one case by many clients race); about one case in eight is
withdrawn by the applicant instead at a random point (so a withdrawal races the deliveries of
other clients). A rating is reported as ``{"rated": [case, follow-up]}``.
Many clients try the same actions on the same cases: one wins each, the others are refused
(:class:`~onething.errors.ActionRefused`) or answered from an idempotency key that the
clients share.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable

from onething.cases.records import Case, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, Conflict
from onething.language.model import Workflow
from tests.support.factories import sample_form, sample_materials

PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}

Report = Callable[[dict], None]


def withdrawn(case_id: str) -> bool:
    """Whether clients withdraw this case (the same answer in every process)."""
    return hashlib.sha256(case_id.encode()).digest()[0] < 32


def script(case_id: str, rng: random.Random) -> list[tuple[str, str | None]]:
    steps: list[tuple[str, str | None]] = [("accept", None), ("approve", "registration")]
    steps += [("approve", s) for s in rng.sample(sorted(PARALLEL), len(PARALLEL))]
    steps.append(("deliver", None))
    steps.append(("evaluate", None))
    if withdrawn(case_id):
        steps.insert(rng.randrange(1, len(steps) + 1), ("withdraw", None))
    return steps


class Client:
    """One load client on one engine."""

    def __init__(self, engine: Engine, workflow: Workflow, name: str, seed: str,
                 report: Report) -> None:
        self.engine, self.workflow, self.name = engine, workflow, name
        self.rng = random.Random(seed)
        self.report = report

    def perform(self, case_id: str, action: str, step: str | None) -> None:
        key = None
        if self.rng.random() < 0.3:  # a key every client uses for this request: replays
            key = f"{case_id}:{action}:{step or ''}"
        engine, desk = self.engine, window(self.workflow.lead)
        try:
            if action == "accept":
                case = engine.accept(case_id, desk, idempotency_key=key)
            elif action == "deliver":
                case = engine.deliver(case_id, desk, idempotency_key=key)
            elif action == "withdraw":
                case = engine.withdraw(case_id, applicant(), "changed my mind",
                                       idempotency_key=key)
            elif action == "evaluate":
                follow_up = engine.evaluate(case_id, 1, applicant(), "slow",
                                            idempotency_key=key)
                self.report({"rated": [case_id, follow_up.id]})
                return
            else:
                department = PARALLEL.get(step or "", self.workflow.lead)
                case = engine.act(case_id, step or "", action, officer(department),
                                  "load test", idempotency_key=key)
        except ActionRefused:
            self.report({"refused": [case_id, action, step]})
            return
        except Conflict as exc:  # the engine's own retries ran out: typed, counted
            self.report({"conflict": [case_id, action, step, str(exc)]})
            return
        except Exception as exc:  # anything else is a failure of the test
            self.report({"error": [case_id, action, step, type(exc).__module__ + "." +
                                   type(exc).__qualname__, str(exc)[:300]]})
            return
        self.ack(case, action, step, key)

    def ack(self, case: Case, action: str, step: str | None, key: str | None) -> None:
        self.report({"ack": [case.id, action, step, case.version, case.events, key,
                             self.name]})

    def submit(self, n: int) -> str | None:
        key = f"submit:{self.name}:{n}"
        for _ in range(2 if self.rng.random() < 0.2 else 1):  # sometimes sent twice
            try:
                case = self.engine.submit(self.workflow.id, sample_form(self.workflow),
                                          sample_materials(self.workflow),
                                          idempotency_key=key)
            except Exception as exc:
                self.report({"error": [None, "submit", None, type(exc).__module__ + "." +
                                       type(exc).__qualname__, str(exc)[:300]]})
                return None
            self.ack(case, "submit", None, key)
        return case.id

    def advance(self, case_id: str, count: int | None = None) -> None:
        """Try the first ``count`` actions of the case's script (all when None)."""
        steps = script(case_id, self.rng)
        for action, step in steps[:count]:
            self.perform(case_id, action, step)

    def run(self, cases: int, pool: Callable[[], list[str]]) -> None:
        for n in range(cases):
            mine = self.submit(n)
            others = pool()
            for case_id in self.rng.sample(others, min(2, len(others))):
                self.advance(case_id, self.rng.randrange(1, 12))
            if mine is not None:
                self.advance(mine, self.rng.randrange(0, 12))
        everything = pool()
        self.rng.shuffle(everything)
        for case_id in everything:
            self.advance(case_id)


def work(db: str, workflow: Workflow, name: str, cases: int, seed: str, report: Report,
         engine: Engine | None = None) -> None:
    """One client (a thread of the test, or this module as a process)."""
    from onething.stores import open_store

    own = engine is None
    if engine is None:
        engine = Engine(open_store(db))
    try:
        Client(engine, workflow, name, seed, report).run(cases, engine.store.case_ids)
    finally:
        if own:
            engine.store.close()


def main() -> None:
    from onething.language.load import load

    db, workflow_file, name, cases, seed = sys.argv[1:6]

    def report(line: dict) -> None:
        print(json.dumps(line, ensure_ascii=False), flush=True)

    try:
        work(db, load(workflow_file), name, int(cases), seed, report)
    except Exception as exc:  # reported, so that the test shows it
        report({"error": [None, "client", None, type(exc).__module__ + "." +
                          type(exc).__qualname__, str(exc)[:300]]})


if __name__ == "__main__":
    main()
