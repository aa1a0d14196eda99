"""What the schema upgrades do to records, whatever the database (shared by the SQLite and
PostgreSQL stores, which each run it inside the upgrade's one transaction).

Schema 1 -> 2 (issue 12, "nothing leaked"):

* idempotency keys are kept as their SHA-256 digest (``sha256:<hex>``), never as given;
* actor texts of applicants and agents become pseudonyms. The upgrade cannot know the host's
  pseudonym key, so it records an unkeyed one (``legacy.<hash of the id>``); the engine
  recognises an applicant against it (:func:`onething.cases.rules.legacy_pseudonym`);
* every case records its applicant (the actor that submitted it, when that was an applicant)
  and its agents the same way;
* identity and phone numbers in any other actor text or event data are masked.
"""

from __future__ import annotations

import hashlib
from typing import Any

from onething.privacy.masking import mask_text
from onething.privacy.pseudonyms import legacy_pseudonym

_PEOPLE = ("applicant:", "agent:")


def key_digest(key: str) -> str:
    """How schema 2 stores an idempotency key."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def actor_text(text: str) -> str:
    """A schema-1 actor text as schema 2 writes it."""
    for prefix in _PEOPLE:
        if text.startswith(prefix):
            return prefix + legacy_pseudonym(text[len(prefix):])
    return mask_text(text)


def event_data(action: str, data: Any) -> Any:
    """A schema-1 event's data as schema 2 writes it."""
    if action == "agent_authorized" and isinstance(data, dict) and "agent" in data:
        data = {**data, "agent": legacy_pseudonym(str(data["agent"]))}
        return {k: (v if k == "agent" else _masked(v)) for k, v in data.items()}
    return _masked(data)


def case_state(state: dict[str, Any], submitted_by: str | None) -> dict[str, Any]:
    """A schema-1 case state as schema 2 writes it: its applicant and agents as pseudonyms."""
    out = dict(state)
    applicant = ""
    if submitted_by and submitted_by.startswith("applicant:"):
        applicant = legacy_pseudonym(submitted_by[len("applicant:"):])
    out["applicant"] = applicant
    out["agents"] = [legacy_pseudonym(str(a)) for a in state.get("agents", [])]
    return out


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value
