"""The typed JSON rules the views follow (docs/decisions/0020-typed-json.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.support.factories import shipped

from onething.cases.records import Delivery, Event
from onething.cases.typed_json import json_value, typed_form

UTC = dt.UTC


def test_times_are_shown_in_shanghai_with_their_offset() -> None:
    event = Event(1, dt.datetime(2026, 10, 8, 1, 0, tzinfo=UTC), "submit", "applicant:x")
    assert event.to_json() == {"seq": 1, "at": "2026-10-08T09:00:00+08:00", "action": "submit",
                               "actor": "applicant:x", "step": None, "data": {}}
    with pytest.raises(ValueError, match="without its zone"):
        json_value(dt.datetime(2026, 10, 8, 9, 0))


def test_values_keep_their_types_and_unknown_ones_are_refused() -> None:
    delivery = Delivery("d", "c", "result", dt.datetime(2026, 10, 8, 9, tzinfo=UTC), None,
                        ("licence",), {"count": 2, "ok": True, "fee": Decimal("1.5E+3"),
                                       "on": dt.date(2026, 10, 8), "tagged": {"$decimal": "0.10"}})
    assert delivery.to_json()["notice"] == {"count": 2, "ok": True, "fee": "1500",
                                            "on": "2026-10-08", "tagged": "0.10"}
    assert delivery.to_json()["items"] == ["licence"]
    with pytest.raises(TypeError, match="no typed JSON"):
        json_value({"x": object()})


def test_the_form_is_typed_by_its_fields_and_personal_values_stay_masked() -> None:
    form = shipped("enterprise_startup.yaml").form
    shown = typed_form(form, {"employees": 3, "needs_invoice": True,
                              "registered_capital": Decimal("100.50"),
                              "legal_person_phone": "13800138000", "company_name": "示例"})
    assert shown == {"employees": 3, "needs_invoice": True, "registered_capital": "100.50",
                     "legal_person_phone": "138******00", "company_name": "示例"}
    assert typed_form(form, {"employees": 13800138000})["employees"] == "138******00"
    retirement = shipped("retirement.yaml").form
    assert typed_form(retirement, {"retirement_date": dt.date(2026, 3, 1)}) == \
        {"retirement_date": "2026-03-01"}
