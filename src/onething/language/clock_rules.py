"""How a workflow's time is declared: limits (``time_limit:``), the escalation ladder's rungs
and the clock rules (``clock:``), with their 行政许可法 defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from onething.language.location import UNKNOWN, Location
from onething.workdays import Duration

if TYPE_CHECKING:
    from onething.workdays import CountFrom


@attrs.frozen
class TimeLimit:
    """Committed (承诺时限) and statutory (法定时限) limits; either may be absent."""

    committed: Duration | None = None
    statutory: Duration | None = None
    source: str = ""
    location: Location = UNKNOWN


@attrs.frozen
class Rung:
    """One step of an escalation ladder (催办 -> 督办 -> 通报): ``after`` the due date (None:
    at it), ``action`` goes ``to`` someone. Escalations never change a case's path."""

    action: str
    after: Duration | None = None
    to: str = "supervisor"
    location: Location = UNKNOWN


_DEFAULTS = {k: Duration.parse(v) for k, v in
             {"answer": "15 WD", "intake": "5 WD", "warn": "1 WD", "ext": "10 WD"}.items()}


@attrs.frozen
class ClockRules:
    """How a workflow's clocks count (``clock:``); the defaults follow 行政许可法."""

    count_from: CountFrom = "next_day"
    correction: str = "pause"
    answer_correction_within: Duration | None = _DEFAULTS["answer"]
    intake_notice_within: Duration | None = _DEFAULTS["intake"]
    answer_intake_correction_within: Duration | None = _DEFAULTS["answer"]  # decision 0018
    warn_before: Duration = _DEFAULTS["warn"]
    extension: Duration = _DEFAULTS["ext"]
    #: None: the law's bound for the workflow's handling (10 WD, joint 15 WD; art. 42)
    case_extension: Duration | None = None
    #: to issue and serve the result once decided: 行政许可法 art. 44's ten days at most
    deliver_within: Duration = _DEFAULTS["ext"]
    source: str = ""
    location: Location = UNKNOWN
