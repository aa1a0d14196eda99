"""The statistics over HTTP (``GET /api/v1/statistics``) and on the supervisor's page: the
same numbers as the library's report, on each of the three stores, in the served document's
schema; bad arguments are problems, not tracebacks."""

from __future__ import annotations

from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.web.app import create_app
from onething.workdays import FixedClock
from tests.support.factories import START
from tests.support.stats_oracle import hall
from tests.support.web import as_, client, validate


def test_the_api_answers_the_librarys_report(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    hall(engine, clock, seed=5, cases=12)
    api = client(create_app(engine))
    document = api.get("/api/v1/openapi.json").json()
    answer = api.get("/api/v1/statistics?period=month", headers=as_("mr-chief"))
    assert answer.status_code == 200, answer.text
    validate(document, "report", answer.json())
    expected = engine.statistics(period="month").to_json()
    assert answer.json()["total"]["delivered"] == expected["total"]["delivered"]
    assert answer.json()["steps"] == expected["steps"]
    one = api.get("/api/v1/statistics", params={"workflow": "enterprise-startup",
                                                "from": "2026-10-01", "period": "all"},
                  headers=as_("gov-head")).json()
    assert one["scope"] == {"period": "all", "from": "2026-10-01", "to": None,
                            "workflow": "enterprise-startup", "department": None}
    assert one["ratings"]["rectified_rate"] is None


def test_bad_arguments_are_problems(any_store: Store) -> None:
    api = client(create_app(Engine(any_store, clock=FixedClock(START))))
    for query in ("from=2026-02-30", "from=2026-05-02&to=2026-05-01", "period=fortnight",
                  "workflow=" + "x" * 300):
        answer = api.get(f"/api/v1/statistics?{query}", headers=as_("mr-chief"))
        assert answer.status_code in (400, 422), (query, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    refused = api.get("/api/v1/statistics", headers=as_("reg-01"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "refused.case.not_overseer"


def test_the_supervisors_page_shows_their_departments_statistics(any_store: Store) -> None:
    from datetime import timedelta

    from tests.support.web import FormPoster

    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    hall(engine, clock, seed=5, cases=12)
    pages = FormPoster(client(create_app(engine)))
    pages.sign_in("mr-chief")
    text = pages.get("/supervisor").text
    since = clock.now().date() - timedelta(weeks=12)
    report = engine.statistics(department="market_regulation", since=since)
    [registration] = [s for s in report.steps if s.step == "registration"]
    assert registration.ended > 0
    assert "本部门统计" in text and report.name("step", registration.workflow, "registration") \
        in text
    assert f"<td>{registration.ended}</td>" in text
    for week, figures in report.periods.items():
        assert f"<tr><td>{week}</td><td>{figures.received}</td>" in text
