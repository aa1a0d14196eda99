"""How a workflow is handled in law (``handling:``): by one organ, or jointly by several under
行政许可法 art. 26 (统一办理, 联合办理, 集中办理), and the limits art. 42 sets for each."""

from __future__ import annotations

import attrs

from onething.language.location import UNKNOWN, Location
from onething.workdays.duration import Duration

#: ``handling: {mode: ...}``: one organ's limits per step, or one joint limit for the case
MODES = ("single", "joint")
#: 行政许可法 art. 42(1): one organ decides within 20 days, extended once by at most 10 days
SINGLE_EXTENSION = Duration.parse("10 WD")
#: 行政许可法 art. 42(2): joint, unified or centralized handling takes at most 45 days,
#: extended once by at most 15 days with the approval of the head of the government at that
#: level (days are working days, art. 82)
JOINT_LIMIT = Duration.parse("45 WD")
JOINT_EXTENSION = Duration.parse("15 WD")
#: 行政许可法 art. 44: the certificate is issued and served within 10 days of the decision
DELIVERY = Duration.parse("10 WD")
#: who approves the case's extension under joint handling unless the workflow names it: the
#: people's government at the level of the lead department (``government_head:<name>@<id>``)
DEFAULT_GOVERNMENT = "government"


@attrs.frozen
class Handling:
    """``handling:``: ``single`` (each step's limit is its department's own, art. 42(1)) or
    ``joint`` (the case's limit governs, at most 45 WD, and step limits are internal targets;
    the case's extension, at most 15 WD, is approved by the head of ``government``)."""

    mode: str = "single"
    government: str = DEFAULT_GOVERNMENT
    source: str = ""
    location: Location = UNKNOWN

    @property
    def joint(self) -> bool:
        """True under joint, unified or centralized handling (art. 26, 42(2))."""
        return self.mode == "joint"

    @property
    def case_extension(self) -> Duration:
        """The longest extension of the case's limit the law allows under this handling."""
        return JOINT_EXTENSION if self.joint else SINGLE_EXTENSION
