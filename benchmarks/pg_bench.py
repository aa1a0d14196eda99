"""Section 5: durable actions/s on PostgreSQL with 1, 2 and 4 worker processes.

A throwaway server is started with tests/support/pgserver.py (``initdb`` + ``pg_ctl`` in a temporary
directory, ``fsync=on``, as an unprivileged user when run as root) and stopped afterwards.
Each worker process opens its own :class:`~onething.stores.postgres.PostgresStore` on one
shared database, submits its own cases, waits at a barrier, then drives them through the
linear workflow; the figure is every worker's actions over the wall time from the barrier to
the last worker's end.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

from benchmarks.common import ACTIONS_PER_CASE, SCRIPT, drive, new_engine, ratio, submit_many

WORKERS = (1, 2, 4)


def _worker(url: str, cases: int, barrier: object, results: object) -> None:
    from onething.stores.postgres import PostgresStore

    store = PostgresStore(url)
    try:
        engine = new_engine(store)
        ids = submit_many(engine, cases)
        barrier.wait()
        began = time.perf_counter()
        actions = 0
        for case_id in ids:
            actions += drive(engine, case_id)
        results.put((began, time.perf_counter(), actions))
    finally:
        store.close()


def _run(url: str, workers: int, cases: int) -> float:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(url, cases, barrier, results))
                 for _ in range(workers)]
    for p in processes:
        p.start()
    got = [results.get(timeout=600) for _ in processes]
    for p in processes:
        p.join()
    began = min(g[0] for g in got)
    ended = max(g[1] for g in got)
    return sum(g[2] for g in got) / (ended - began)


def _raw_psycopg(url: str, events: int) -> float:
    """The baseline: one connection, one event insert + versioned case update per commit."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE raw_cases (id TEXT PRIMARY KEY, version INT NOT NULL, "
                   "state JSON NOT NULL)")
        db.execute("CREATE TABLE raw_events (case_id TEXT NOT NULL, seq INT NOT NULL, "
                   "action TEXT NOT NULL, data JSON NOT NULL, PRIMARY KEY (case_id, seq))")
        ids = [uuid.uuid4().hex[:16] for _ in range(max(1, events // ACTIONS_PER_CASE))]
        with db.transaction():
            for case_id in ids:
                db.execute("INSERT INTO raw_cases VALUES (%s, 0, %s)",
                           (case_id, '{"marking": ["intake"]}'))
        began = time.perf_counter()
        done = 0
        for case_id in ids:
            for seq in range(ACTIONS_PER_CASE):
                with db.transaction():
                    db.execute("INSERT INTO raw_events VALUES (%s, %s, %s, %s)",
                               (case_id, seq, SCRIPT[seq][0], '{"clocks": []}'))
                    db.execute("UPDATE raw_cases SET version = %s, state = %s "
                               "WHERE id = %s AND version = %s",
                               (seq + 1, '{"marking": ["s1"]}', case_id, seq))
                done += 1
        return done / (time.perf_counter() - began)


def postgres_section(quick: bool) -> list[str]:
    try:
        from tests.support.pgserver import PgServer, find_bindir
    except ImportError as exc:  # pytest missing
        return [f"Skipped: tests/support/pgserver.py could not be imported ({exc})."]
    bindir = find_bindir()
    if bindir is None:
        return ["Skipped: no PostgreSQL server binaries (initdb, pg_ctl) were found."]
    try:
        import psycopg
    except ImportError:
        return ["Skipped: psycopg 3 is not installed (`pip install -e '.[postgres]'`)."]
    cases = 25 if quick else 80
    server = PgServer(bindir)
    try:
        server.start()
        with psycopg.connect(server.url, autocommit=True) as admin:
            version = admin.execute("SHOW server_version").fetchone()[0]
        raw = _raw_psycopg(server.url, cases * ACTIONS_PER_CASE)
        rows = ["| what | workers | actions/s | ratio to 1 worker | ratio to raw psycopg |",
                "| --- | ---: | ---: | ---: | ---: |",
                f"| raw psycopg: event insert + versioned case update per commit | 1 | "
                f"{raw:,.0f} | - | 1.00x |"]
        first = 0.0
        for workers in WORKERS:
            name = f"bench_{workers}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(server.url, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}")
            url = server.url.rsplit("/", 1)[0] + "/" + name
            # deploy once, so that the workers do not race to create the schema
            from onething.stores.postgres import PostgresStore

            store = PostgresStore(url)
            new_engine(store)
            store.close()
            rate = _run(url, workers, cases)
            first = first or rate
            rows.append(f"| onething Engine + PostgresStore | {workers} | {rate:,.0f} | "
                        f"{ratio(rate, first)} | {ratio(rate, raw)} |")
    except Exception as exc:  # a broken server must not lose the other sections
        return [f"Skipped: the throwaway PostgreSQL server failed ({type(exc).__name__}: "
                f"{str(exc)[:300]})."]
    finally:
        server.stop()
    return [
        "No numeric goal (issue 7 asks for the figures). The server runs on the same 2 "
        "cores as the workers, so 4 workers share them with it.",
        "",
        f"PostgreSQL {version} ({bindir}), started for the run with tests/support/pgserver.py "
        f"(`fsync=on`, default `synchronous_commit=on`), {cases} linear cases "
        f"({cases * ACTIONS_PER_CASE} actions) per worker, each worker its own process "
        "and connection on one shared database.",
        "",
        *rows,
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(postgres_section("--quick" in sys.argv)))
