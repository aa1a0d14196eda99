"""Charts of cases and simulations, drawn with matplotlib (the ``report`` extra): the lead-time
histogram against the limits, overdue cases by department, the weekly trend, and the steps on
the critical path — each a :class:`Chart` saved as PNG or SVG.

Importing this package loads no matplotlib: it is imported when the first chart is drawn.
"""

from __future__ import annotations

from onething.charts.figure import FORMATS, LANGS, Chart
from onething.charts.kinds import (
    critical_steps,
    lead_time_histogram,
    overdue_by_department,
    weekly_trend,
)

__all__ = ["FORMATS", "LANGS", "Chart", "critical_steps", "lead_time_histogram",
           "overdue_by_department", "weekly_trend"]
