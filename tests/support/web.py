"""The HTTP server under test: an app over an engine on a given store, with the demo's people
(development sign-in), a client that names who asks, and the schema of each answer as the
served OpenAPI document declares it."""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import FastAPI

from onething.cases.records import applicant, officer
from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.web.app import create_app
from onething.web.identity import DEMO_USERS, DEV_HEADER, DevUsers
from onething.workdays import FixedClock
from tests.support.factories import START, sample_form, sample_materials, shipped

with warnings.catch_warnings():  # Starlette's note about httpx2; the client works as is
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

STARTUP = shipped("enterprise_startup.yaml")
#: the parallel steps of the enterprise start-up after registration, by department's officer
PARALLEL = [("seal", "police-01"), ("tax", "tax-01"), ("social_insurance", "hr-01"),
            ("medical_insurance", "med-01"), ("housing_fund", "fund-01"),
            ("bank_appointment", "bank-01")]


#: the demo's people and two who have nothing to do with its cases: an applicant of another
#: case, an officer of a department with no step
PEOPLE = DevUsers({**DEMO_USERS, "stranger": applicant("li-si"),
                   "outsider": officer("environment", "env-01")})


def app_on(store: Store, clock: FixedClock | None = None, **kwargs: Any) -> FastAPI:
    """The application over a new engine on ``store``, the enterprise start-up deployed."""
    engine = Engine(store, clock=clock or FixedClock(START))
    engine.deploy(STARTUP)
    return create_app(engine, **kwargs)


def client(app: FastAPI) -> TestClient:
    """A client of ``app`` that raises nothing itself (every answer is looked at)."""
    return TestClient(app, raise_server_exceptions=False)


def as_(user: str, **headers: str) -> dict[str, str]:
    """The headers of a request made by the demo person ``user``."""
    return {DEV_HEADER: user, **headers}


def submission(**overrides: Any) -> dict[str, Any]:
    """A valid submission of the enterprise start-up (JSON-ready)."""
    form = {k: str(v) if not isinstance(v, (bool, int)) else v
            for k, v in sample_form(STARTUP).items()}
    return {"workflow": STARTUP.id, "form": form,
            "materials": dict(sample_materials(STARTUP)), **overrides}


def validate(document: dict[str, Any], schema_name: str, value: Any) -> None:
    """Check ``value`` against the OpenAPI document's component ``schema_name``."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource(contents=document, specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    jsonschema.Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{schema_name}"},
        registry=registry).validate(value)


def submitted(api: Any, user: str = "zhang-san") -> str:
    """A new enterprise start-up case, submitted by ``user`` over the API: its number."""
    answer = api.post("/api/v1/cases", json=submission(), headers=as_(user))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case"])


class FormPoster:
    """A client of the pages: signs in through the development page and posts forms with
    the page's token."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.api.get("/")
        self.token = api.cookies["onething_csrf"]

    def sign_in(self, user: str) -> None:
        """Sign in as the demo person ``user``."""
        answer = self.api.post("/signin", data={"csrf": self.token, "user": user},
                               follow_redirects=False)
        assert answer.status_code == 303, answer.text

    def get(self, path: str) -> Any:
        """A page."""
        return self.api.get(path)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """A form posted with the token."""
        return self.api.post(path, data={"csrf": self.token, **data}, **kwargs)
