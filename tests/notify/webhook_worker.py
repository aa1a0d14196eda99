"""A dispatcher worker for tests/notify/test_webhooks.py: it opens a store, hands the
``province`` subscription's notifications to a signed webhook and loops until told to stop.

    python -m tests.notify.webhook_worker STORE URL SECRET STOP_FILE SKEW SECONDS  # from the root

STORE is an SQLite path or a ``postgresql://`` URL; the loop ends once STOP_FILE exists or
SECONDS have passed. Each round dispatches as of a moment SKEW seconds ahead of the wall clock
plus 61 s more per round: ``Engine.dispatch_events`` takes a ``now`` but not the claim's lease
(60 s, ``Store.claim_notifications(lease_seconds=60)``), and a failed hand-over backs off for
15 to 45 s; moving the dispatcher's clock on stands in for waiting those out, so a retry, or a
claim left behind by a killed worker (with SKEW of a day), is due in the next round instead of
in a minute. Signatures carry the real time (the receiver checks it). Each hand-over is
printed (the test shows that log when it fails).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from onething.engine.engine import Engine
from onething.notify.channels import WebhookChannel
from onething.stores import open_store

#: how far the dispatcher's clock moves on each round: past the longest first back-off (45 s)
#: and past a claim's lease (60 s)
ROUND = timedelta(seconds=61)


def main() -> int:
    store_target, url, secret, stop_file = sys.argv[1:5]
    skew, seconds = float(sys.argv[5]), float(sys.argv[6])
    store = open_store(store_target, create=False)
    engine = Engine(store)
    engine.event_channels.clear()
    engine.event_channels["province"] = WebhookChannel(url, secret, timeout=30.0)
    stop = Path(stop_file)
    deadline = time.monotonic() + seconds
    rounds = 0
    try:
        while not stop.exists() and time.monotonic() < deadline:
            now = datetime.now(UTC) + timedelta(seconds=skew) + rounds * ROUND
            rounds += 1
            handled = engine.dispatch_events(now=now)
            for item in handled:
                print(f"round {rounds}: handed over {item.id}", flush=True)
            if not handled:
                time.sleep(0.02)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
