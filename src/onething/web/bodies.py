"""The bodies the API reads (pydantic models: validated on arrival, described in the
OpenAPI document). Every field says what it is; unknown fields are refused, so a typo is an
error, not a silently ignored value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: a material as given: a reference, or {"ref", "sha256", "licence"}
Material = str | dict[str, str | None] | None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Submission(_Body):
    """One form (一表申请): the workflow, the form's values, the materials."""

    workflow: str = Field(description="the deployed workflow's id, e.g. enterprise-startup")
    form: dict[str, Any] = Field(description="the form's values by field name")
    materials: dict[str, Material] = Field(default_factory=dict,
                                           description="materials by name: a reference, or "
                                           "{ref, sha256, licence}")
    applicant: str | None = Field(default=None, description="whom a window or agent submits "
                                  "for (their identity as the host knows it)")
    version: int | None = Field(default=None, description="the workflow version (default: "
                                "the latest deployed)")


class Reason(_Body):
    """An action that states its reason."""

    reason: str = Field(default="", max_length=2000)


class IntakeRefusal(_Body):
    """不予受理: the reason, and the organ to apply to when the matter is not this one's."""

    reason: str = Field(max_length=2000)
    refer_to: str | None = Field(default=None, max_length=200)


class IntakeCorrection(_Body):
    """一次性告知 at intake: every missing or wrong item at once, with what is wrong."""

    items: dict[str, str] = Field(description="item name -> what is wrong with it")
    reason: str = Field(default="", max_length=2000)


class Decision(_Body):
    """A department's decision on a step: approve, refuse, request_correction,
    approve_on_commitment, end_special_procedure or an outcome the step names."""

    outcome: str = Field(description="approve, refuse, request_correction, "
                         "approve_on_commitment, end_special_procedure or a named outcome")
    reason: str = Field(default="", max_length=2000)
    fields: dict[str, Any] | None = Field(default=None, description="the fields the step sets")
    item: int | None = Field(default=None, description="the item decided, on a step done "
                             "item by item (foreach)")


class SendBack(_Body):
    """退回重审: send a step of the parallel block before this one back."""

    to: str | None = Field(default=None, description="the block's step to do again")
    reason: str = Field(max_length=2000)


class SpecialProcedure(_Body):
    """特别程序 (hearing, expert review, ...): the clock pauses while it runs."""

    kind: str = Field(description="hearing, expert_review, inspection, ...")
    expected: str = Field(description="how long it is expected to take, e.g. 10WD")
    reason: str = Field(default="", max_length=2000)


class Verification(_Body):
    """The check of a commitment (告知承诺) a step was approved on."""

    ok: bool = Field(description="true: confirmed; false: the commitment was false")
    reason: str = Field(default="", max_length=2000)


class Supplement(_Body):
    """The applicant's answer to a correction (补正) or to the notice at intake, or promised
    materials brought in."""

    step: str | None = Field(default=None, description="the step that asked (none: the "
                             "answer to the notice at intake, or promised materials)")
    fields: dict[str, Any] | None = None
    materials: dict[str, Material] | None = None


class Delivery(_Body):
    """统一出件: how the one delivery is made (default: as the form chose)."""

    method: str | None = None


class Rating(_Body):
    """好差评: 1 to 5, once."""

    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class AgentGrant(_Body):
    """帮办代办: let an agent act for the applicant."""

    agent: str = Field(description="the agent's identity", max_length=200)


class Assignment(_Body):
    """Give a step to an officer of the department (by staff id)."""

    officer: str = Field(max_length=80)


class Extension(_Body):
    """Extend a limit (行政许可法 art. 42): the case's (no step) or a step's."""

    amount: str = Field(description="e.g. 10WD")
    step: str | None = None
    reason: str = Field(max_length=2000)


class Milestone(_Body):
    """A green-channel milestone (arrange, feedback, ...)."""

    milestone: str
    note: str = Field(default="", max_length=2000)


class Search(_Body):
    """Filters of the case search; every filter given must match. In the body, never in the
    address: an applicant's ID number must not appear in a URL."""

    number: str | None = None
    applicant: str | None = Field(default=None, description="ID number or 统一社会信用代码")
    workflow: str | None = None
    status: str | None = None
    department: str | None = None
    step: str | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    after: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class Lookup(_Body):
    """The applicant's progress lookup: the case number and the lookup code printed on the
    acceptance notice (受理通知书)."""

    case: str = Field(max_length=64)
    code: str = Field(max_length=32)
