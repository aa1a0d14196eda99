"""Section 10: the HTTP server under load — 8 concurrent clients driving whole enterprise
start-up cases (submit, accept, registration, six departments in parallel, deliver: 10
requests a case) through ``onething serve`` on SQLite (one process) and on PostgreSQL (two),
against the same actions as direct library calls from 8 threads.

Every action carries ``If-Match`` (the ETag of the answer before) and an ``Idempotency-Key``.
One action in 20 is first sent with a stale ``If-Match`` (expected: 412, then sent again),
and one in 20 is sent twice with its key (expected: the same answer). Any other answer than
201/200 and those 412s is an error. Afterwards every case is read back from the database: it
must have exactly one delivery.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLIENTS = 8
#: (path under the case, who, body): what follows the submission of one case
SCRIPT: list[tuple[str, str, dict[str, Any] | None]] = [
    ("accept", "window-3", None),
    ("steps/registration/decide", "reg-01", {"outcome": "approve"}),
    *[(f"steps/{step}/decide", user, {"outcome": "approve"}) for step, user in (
        ("seal", "police-01"), ("tax", "tax-01"), ("social_insurance", "hr-01"),
        ("medical_insurance", "med-01"), ("housing_fund", "fund-01"),
        ("bank_appointment", "bank-01"))],
    ("deliver", "window-3", {}),
]
REQUESTS_PER_CASE = 1 + len(SCRIPT)


def _form() -> dict[str, Any]:
    from onething.cli.demo import DEMO_FORM, DEMO_MATERIALS

    return {"workflow": "enterprise-startup", "form": dict(DEMO_FORM),
            "materials": dict(DEMO_MATERIALS)}


class Tally:
    """What the clients saw: latencies, statuses, errors, the cases made."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.expected_412 = self.replays = 0
        self.errors: list[str] = []
        self.cases: list[str] = []


def _client(base: str, cases: int, tally: Tally, seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    latencies: list[float] = []
    made: list[str] = []
    errors: list[str] = []
    stale = replays = 0
    with httpx.Client(base_url=base, timeout=60) as http:
        def call(path: str, user: str, body: Any, headers: dict[str, str]) -> Any:
            began = time.perf_counter()
            answer = http.post(path, json=body, headers={"X-Onething-User": user, **headers})
            latencies.append(time.perf_counter() - began)
            return answer

        for _ in range(cases):
            answer = call("/api/v1/cases", "zhang-san", _form(),
                          {"Idempotency-Key": uuid.uuid4().hex})
            if answer.status_code != 201:
                errors.append(f"submit: {answer.status_code} {answer.text[:200]}")
                continue
            case_id, etag = answer.json()["case"], answer.headers["ETag"]
            made.append(case_id)
            for path, user, body in SCRIPT:
                url = f"/api/v1/cases/{case_id}/{path}"
                key = uuid.uuid4().hex
                if rng.random() < 0.05 and etag != '"0"':
                    refused = call(url, user, body, {"If-Match": '"0"',
                                                     "Idempotency-Key": uuid.uuid4().hex})
                    if refused.status_code == 412:
                        stale += 1
                    else:
                        errors.append(f"{path} stale: {refused.status_code}")
                answer = call(url, user, body, {"If-Match": etag, "Idempotency-Key": key})
                if answer.status_code != 200:
                    errors.append(f"{path}: {answer.status_code} {answer.text[:200]}")
                    break
                if rng.random() < 0.05:  # a retry of the same request: its first answer
                    again = call(url, user, body, {"If-Match": etag, "Idempotency-Key": key})
                    if again.status_code == 200 and again.json() == answer.json():
                        replays += 1
                    else:
                        errors.append(f"{path} replay: {again.status_code}")
                etag = answer.headers["ETag"]
    with tally.lock:
        tally.latencies += latencies
        tally.cases += made
        tally.errors += errors
        tally.expected_412 += stale
        tally.replays += replays


def drive_http(base: str, cases: int) -> tuple[Tally, float]:
    """``cases`` cases driven by :data:`CLIENTS` clients; the tally and the wall time."""
    tally = Tally()
    each = [cases // CLIENTS + (1 if i < cases % CLIENTS else 0) for i in range(CLIENTS)]
    threads = [threading.Thread(target=_client, args=(base, n, tally, i))
               for i, n in enumerate(each)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - began


def drive_library(db: str, cases: int) -> tuple[list[float], float]:
    """The same actions as direct calls of one Engine from :data:`CLIENTS` threads."""
    from onething.engine.engine import Engine
    from onething.stores import open_store
    from onething.web.identity import DEMO_USERS
    from onething.web.serving import deploy_shipped

    store = open_store(db)
    engine = Engine(store)
    deploy_shipped(engine)
    latencies: list[float] = []
    lock = threading.Lock()

    def timed(run: Callable[[], Any], into: list[float]) -> Any:
        began = time.perf_counter()
        done = run()
        into.append(time.perf_counter() - began)
        return done

    def client(n: int) -> None:
        mine: list[float] = []
        form = _form()
        for _ in range(n):
            case = timed(lambda: engine.submit(form["workflow"], form["form"], form["materials"],
                                               actor=DEMO_USERS["zhang-san"],
                                               idempotency_key=uuid.uuid4().hex), mine)
            for path, user, _body in SCRIPT:
                who = DEMO_USERS[user]
                if path == "accept":
                    timed(lambda c=case, w=who: engine.accept(c.id, w), mine)
                elif path == "deliver":
                    timed(lambda c=case, w=who: engine.deliver(c.id, w), mine)
                else:
                    step = path.split("/")[1]
                    timed(lambda c=case, s=step, w=who: engine.act(c.id, s, "approve", w), mine)
        with lock:
            latencies.extend(mine)

    each = [cases // CLIENTS + (1 if i < cases % CLIENTS else 0) for i in range(CLIENTS)]
    threads = [threading.Thread(target=client, args=(n,)) for n in each]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    store.close()
    return latencies, took


def one_delivery_each(db: str, case_ids: list[str]) -> int:
    """How many of the cases do not have exactly one delivery in the database."""
    from onething.stores import open_store

    store = open_store(db, create=False)
    try:
        wrong = 0
        for case_id in case_ids:
            delivered = [e for e in store.history(case_id) if e.action == "deliver"]
            if store.delivery(case_id) is None or len(delivered) != 1:
                wrong += 1
        return wrong
    finally:
        store.close()


def _ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"


def _row(name: str, latencies: list[float], took: float, cases: int) -> list[str]:
    return [name, f"{len(latencies) / took:,.0f}", f"{cases / took:,.1f}",
            _ms(latencies, 0.5), _ms(latencies, 0.99)]


def _measure(kind: str, http_db: str, lib_db: str, cases: int, workers: int) -> list[str]:
    from tests.support.servers import serving

    rows = []
    with serving("--demo", "--db", http_db, "--workers", str(workers), timeout=300) as base:
        tally, took = drive_http(base, cases)
    wrong = one_delivery_each(http_db, tally.cases)
    latencies, lib_took = drive_library(lib_db, cases)
    http = _row(f"HTTP, {workers} server process{'es' if workers > 1 else ''}",
                tally.latencies, took, len(tally.cases))
    lib = _row("library, one Engine", latencies, lib_took, cases)
    p50 = statistics.median(tally.latencies) / statistics.median(latencies)
    rows.append(f"| {kind} | " + " | ".join(http) + f" | {p50:.1f}x | {len(tally.errors)} | "
                f"{tally.expected_412} / {tally.replays} | {len(tally.cases) - wrong} of "
                f"{len(tally.cases)} |")
    rows.append(f"| {kind} | " + " | ".join(lib) + " | 1.0x | - | - | - |")
    if tally.errors:
        rows.append(f"| | first error: {tally.errors[0][:150]} | | | | | | | | |")
    return rows


def http_section(quick: bool) -> list[str]:
    cases = 200 if quick else 2000
    try:
        import httpx  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        return [f"Skipped: the web extra or httpx is not installed ({exc})."]
    header = ["| store | who answers | requests/s | cases/s | p50 ms | p99 ms | p50 vs library "
              "| errors | expected 412 / replays | cases with one delivery |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        rows += _measure("SQLite", str(Path(folder) / "http.sqlite3"),
                         str(Path(folder) / "lib.sqlite3"), cases, 1)
    try:
        from tests.support.pgserver import PgServer, find_bindir
    except ImportError as exc:
        rows.append(f"| PostgreSQL | skipped: {exc} | | | | | | | | |")
        return _text(cases, header + rows)
    bindir = find_bindir()
    if bindir is None:
        rows.append("| PostgreSQL | skipped: no server binaries | | | | | | | | |")
        return _text(cases, header + rows)
    import psycopg

    server = PgServer(bindir)
    try:
        server.start()
        urls = []
        for name in ("http_load", "lib_load"):
            with psycopg.connect(server.url, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}_{uuid.uuid4().hex[:8]}")
                made = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE "
                                     f"'{name}_%'").fetchone()[0]
            urls.append(server.url.rsplit("/", 1)[0] + "/" + made)
        rows += _measure("PostgreSQL", urls[0], urls[1], cases, 2)
    finally:
        server.stop()
    return _text(cases, header + rows)


def _text(cases: int, table: list[str]) -> list[str]:
    return [
        f"{CLIENTS} clients, {cases:,} enterprise start-up cases, {REQUESTS_PER_CASE} requests "
        "a case (submit, accept, registration, six parallel departments, deliver) over "
        "keep-alive connections, each action with If-Match and an Idempotency-Key; 1 in 20 "
        "first sent with a stale If-Match (412 expected), 1 in 20 sent twice (its first answer "
        "expected). The library row makes the same calls from 8 threads on one Engine over "
        "another database of the same kind. Server, clients and database share the 2 cores.",
        "",
        *table,
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(http_section("--quick" in sys.argv)))
