"""A client that acts on cases and prints an acknowledgement after each commit.

Used by tests/stores/test_durability.py, which kills it with SIGKILL at random moments and then
checks that every acknowledged action is in the database. Every request carries an
idempotency key made from the seed, so a second run with the same seed retries every request
of a run that was killed (and is answered from the keys); each delivered case is then rated
badly, which opens a rectification case with the rating in the same transaction.

    python -m tests.support.crash_driver DB WORKFLOW_FILE CASES SEED  # from the root
"""

from __future__ import annotations

import random
import sys

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused
from onething.language.load import load
from onething.stores import open_store
from tests.support.factories import sample_form, sample_materials

PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}


def main() -> None:
    db, workflow_file, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rng = random.Random(seed)
    workflow = load(workflow_file)
    engine = Engine(open_store(db))
    engine.deploy(workflow)
    desk = window(workflow.lead)
    for n in range(count):
        key = f"{seed}-{n}"
        case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow),
                             idempotency_key=f"submit-{key}")
        ack(case.id, "submit")
        steps = [("accept", None), ("approve", "registration")] + [
            ("approve", s) for s in rng.sample(sorted(PARALLEL), len(PARALLEL))]
        steps.append(("withdraw", None) if rng.random() < 0.2 else ("deliver", None))
        for action, step in steps:
            request = f"{key}-{action}-{step}"
            try:
                if action == "accept":
                    engine.accept(case.id, desk, idempotency_key=request)
                elif action == "deliver":
                    engine.deliver(case.id, desk, idempotency_key=request)
                elif action == "withdraw":
                    engine.withdraw(case.id, applicant(), idempotency_key=request)
                else:
                    engine.act(case.id, step, action, officer(PARALLEL.get(step,
                                                                           workflow.lead)),
                               "crash test", idempotency_key=request)
            except ActionRefused:
                continue
            ack(case.id, f"{action}:{step or ''}")
        try:
            engine.evaluate(case.id, 1, applicant(), "slow", idempotency_key=f"{key}-rate")
        except ActionRefused:
            continue
        ack(case.id, "evaluated:")


def ack(case_id: str, what: str) -> None:
    print(f"ACK {case_id} {what}", flush=True)


if __name__ == "__main__":
    main()
