"""Section 5b: durable steps against DBOS Transact, on SQLite and on PostgreSQL.

DBOS Transact (``pip install dbos``, in the ``bench`` extra) is what many pick for durable
Python workflows: a function decorated ``@DBOS.workflow()`` calls ``@DBOS.step()`` functions,
and DBOS checkpoints each step's output in its system database, so a workflow resumes after a
crash from its last completed step. Its case here is a workflow of 12 steps (each checkpointed:
one durable step), onething's a realistic case of 12 actions (each one durable transaction):
the figure compared is durable steps or actions per second, one process, one case at a time.
DBOS runs in a spawned child per sample (it is a process-wide singleton).
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ACTIONS_PER_CASE,
    FORM,
    REALISTIC_ID,
    START,
    MovingClock,
    paired,
    ratio_spread,
    realistic_workflow,
    rotated,
    spread,
    verdict,
)


def _dbos_child(url: str, cases: int, out: Any) -> None:
    import logging

    from dbos import DBOS

    logging.getLogger("dbos").setLevel(logging.WARNING)
    DBOS(config={"name": "bench", "system_database_url": url})

    @DBOS.step()
    def act(done: int) -> int:
        return done + 1

    @DBOS.workflow()
    def case() -> int:
        done = 0
        for _ in range(ACTIONS_PER_CASE):
            done = act(done)
        return done

    DBOS.launch()
    try:
        for _ in range(5):  # warm
            case()
        began = time.perf_counter()
        for _ in range(cases):
            assert case() == ACTIONS_PER_CASE
        out.put((time.perf_counter() - began) / (cases * ACTIONS_PER_CASE) * 1e6)
    finally:
        DBOS.destroy()


def dbos_us(url: str, cases: int) -> float:
    """us per durable step of DBOS on the system database ``url`` (a fresh child)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_dbos_child, args=(url, cases, out))
    child.start()
    try:
        return float(out.get(timeout=600))
    finally:
        child.join()


def onething_us(store: Any, cases: int) -> float:
    """us per action of onething, realistic cases interleaved, on ``store``."""
    from benchmarks.inmemory import interleaved
    from onething.engine.engine import Engine

    engine = Engine(store, clock=MovingClock(START))
    engine.deploy(realistic_workflow())
    ids = [engine.submit(REALISTIC_ID, FORM, {}).id for _ in range(cases)]
    began = time.perf_counter()
    interleaved(engine, ids)
    return (time.perf_counter() - began) / (cases * ACTIONS_PER_CASE) * 1e6


def dbos_section(quick: bool) -> list[str]:
    import importlib.util

    if importlib.util.find_spec("dbos") is None:
        return ["Skipped: DBOS Transact is not installed (`pip install -e '.[bench]'`)."]
    try:
        from tests.support.pgserver import PgServer, find_bindir
    except ImportError as exc:  # pytest missing
        return [f"Skipped: tests/support/pgserver.py could not be imported ({exc})."]
    from benchmarks.pg_bench import fresh_database
    from onething.stores.postgres import PostgresStore
    from onething.stores.sqlite import SqliteStore

    count = 3 if quick else 5
    cases = 20 if quick else 50
    bindir = find_bindir()
    if bindir is None:
        return ["Skipped: no PostgreSQL server binaries (initdb, pg_ctl) were found."]
    server = PgServer(bindir)
    samples: dict[str, list[float]] = {k: [] for k in
                                       ("dbos-sqlite", "ot-sqlite", "dbos-pg", "ot-pg")}
    try:
        server.start()
        with tempfile.TemporaryDirectory(prefix="onething-dbos-") as tmp:
            def ours(store: Any) -> float:
                try:
                    return onething_us(store, cases)
                finally:
                    store.close()

            sides = {
                "dbos-sqlite": lambda r: dbos_us(f"sqlite:///{tmp}/dbos-{r}.sqlite", cases),
                "ot-sqlite": lambda r: ours(SqliteStore(Path(tmp) / f"ot-{r}.sqlite3")),
                "dbos-pg": lambda r: dbos_us(
                    fresh_database(server.url, "dbos").replace("postgresql://", "postgresql+psycopg://"),
                    cases),
                "ot-pg": lambda r: ours(PostgresStore(fresh_database(server.url, "ot"))),
            }
            names = list(sides)
            for r in range(count):  # every side once a round, the order rotating
                for name in rotated(names, r):
                    samples[name].append(sides[name](r))
    except Exception as exc:  # a broken peer must not lose the other sections
        return [f"Skipped: DBOS or the throwaway PostgreSQL server failed "
                f"({type(exc).__name__}: {str(exc)[:300]})."]
    finally:
        server.stop()
    pg = paired(samples, "dbos-pg", "ot-pg")
    lite = paired(samples, "dbos-sqlite", "ot-sqlite")
    from importlib import metadata

    return [
        f"Goal (issue 20; medians of {count} rounds): >= 3x DBOS Transact's durable steps/s on "
        f"PostgreSQL: {verdict(statistics.median(pg) >= 3)} ({ratio_spread(pg)}; aim >= 4x). "
        f"On SQLite: {ratio_spread(lite)}.",
        "",
        f"DBOS Transact {metadata.version('dbos')}: a workflow of {ACTIONS_PER_CASE} "
        "checkpointed steps per case; onething: a realistic case of "
        f"{ACTIONS_PER_CASE} actions (section 1's workflow, cases interleaved), each one "
        f"transaction. {cases} cases a sample, one process, one case at a time; every side "
        "once a round in an order that rotates, each on a fresh database (SQLite: a file "
        "in the temporary directory, onething's at its default `synchronous=FULL`, DBOS's at "
        "its own settings; PostgreSQL: the throwaway server of section 5, `fsync=on`). The "
        "ratio is DBOS's time per step over onething's per action, within a round.",
        "",
        "| what | us per step or action: median (fastest..slowest round) | onething faster |",
        "| --- | ---: | ---: |",
        f"| DBOS Transact, SQLite | {spread(samples['dbos-sqlite'])} | - |",
        f"| onething, SqliteStore (FULL) | {spread(samples['ot-sqlite'])} | "
        f"{ratio_spread(lite)} |",
        f"| DBOS Transact, PostgreSQL | {spread(samples['dbos-pg'])} | - |",
        f"| onething, PostgresStore | {spread(samples['ot-pg'])} | {ratio_spread(pg)} |",
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(dbos_section("--quick" in sys.argv)))
