"""The charts onething draws: the lead-time histogram against the limits, overdue cases by
department, the weekly trend of cases received and delivered, and how often each step sits on
the critical path. Each takes plain rows (what ``onething report`` and ``onething simulate``
compute) and returns a :class:`~onething.charts.figure.Chart`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from onething.charts.figure import (
    COLOURS,
    Chart,
    drawing,
    new_figure,
    percent,
    readable,
    words_lang,
)

#: the words of each chart, by language
WORDS: dict[str, dict[str, str]] = {
    "zh": {"days": "工作日", "cases": "办件数", "no_data": "无数据", "overdue": "超期办件数",
           "week": "周（周一）", "received": "收件", "delivered": "办结", "on_time": "按时办结率",
           "critical": "处于关键路径的办件比例"},
    "en": {"days": "working days", "cases": "cases", "no_data": "no data",
           "overdue": "overdue cases", "week": "week (Monday)", "received": "received",
           "delivered": "delivered", "on_time": "on-time share",
           "critical": "share of cases on the critical path"},
}


def lead_time_histogram(counts: Mapping[int, int], limits: Sequence[tuple[str, int]], *,
                        title: str, lang: str = "zh") -> Chart:
    """How many cases took each number of working days (``counts``: working days -> cases),
    with each limit drawn as a vertical line labelled with its name (``("承诺时限", 45)``)."""
    words = WORDS[words_lang(lang)]
    figure, axes = new_figure(8.0, 4.5)
    with drawing():
        days = sorted(counts)
        if days:
            axes.bar(days, [counts[d] for d in days], width=0.9, color=COLOURS["bar"])
        else:
            _no_data(axes, words)
        top = max((counts[d] for d in days), default=1) or 1
        for number, (label, limit) in enumerate(limits):
            axes.axvline(limit, color=COLOURS["limit"], linestyle="--", linewidth=1.4)
            # labels stand right of their lines, one under the other, so close limits stay
            # readable
            axes.text(limit, top * (1.4 - 0.09 * (number % 4)), f" {readable(label)} {limit}",
                      color=COLOURS["limit"], va="top", ha="left", fontsize=9,
                      bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        spread = [*days, *(limit for _, limit in limits)]
        if spread:
            axes.set_xlim(min(spread) - 1, max(spread) + (max(spread) - min(spread)) * 0.12 + 2)
        axes.set_ylim(0, top * 1.45)
        axes.set_xlabel(words["days"])
        axes.set_ylabel(words["cases"])
        axes.set_title(readable(title))
    return Chart(figure)


def overdue_by_department(rows: Sequence[tuple[str, int, int]], *, title: str,
                          lang: str = "zh") -> Chart:
    """Overdue cases of each department as horizontal bars, the first row at the top, each
    labelled ``overdue / delivered (share)`` (rows: display name, overdue, delivered)."""
    words = WORDS[words_lang(lang)]
    figure, axes = new_figure(8.0, 1.2 + 0.45 * max(len(rows), 1))
    with drawing():
        if not rows:
            _no_data(axes, words)
        names = [readable(name) for name, _, _ in rows]
        overdue = [late for _, late, _ in rows]
        places = list(range(len(rows)))[::-1]
        axes.barh(places, overdue, color=COLOURS["limit"], height=0.6)
        axes.set_yticks(places, names)
        widest = max(overdue, default=0) or 1
        for place, (_, late, delivered) in zip(places, rows, strict=True):
            share = percent(late / delivered) if delivered else "-"
            axes.text(late + widest * 0.01, place, f"{late} / {delivered} ({share})",
                      va="center", fontsize=9, color=COLOURS["text"])
        axes.set_xlim(0, widest * 1.3)
        axes.set_xlabel(words["overdue"])
        axes.set_title(readable(title))
    return Chart(figure)


def weekly_trend(rows: Sequence[tuple[dt.date, int, int, float | None]], *, title: str,
                 lang: str = "zh") -> Chart:
    """Cases received and delivered each week as bars side by side, and the on-time share of
    the week's deliveries as a line on a second axis (rows: the week's Monday, received,
    delivered, on-time share 0..1 or None when nothing was delivered)."""
    words = WORDS[words_lang(lang)]
    figure, axes = new_figure(9.0, 4.5)
    with drawing():
        if not rows:
            _no_data(axes, words)
        places = list(range(len(rows)))
        axes.bar([p - 0.2 for p in places], [r[1] for r in rows], width=0.4,
                 color=COLOURS["second"], label=words["received"])
        axes.bar([p + 0.2 for p in places], [r[2] for r in rows], width=0.4,
                 color=COLOURS["bar"], label=words["delivered"])
        axes.set_xticks(places, [r[0].strftime("%m-%d") for r in rows],
                        rotation=45 if len(rows) > 12 else 0)
        axes.set_xlabel(words["week"])
        axes.set_ylabel(words["cases"])
        share_axes = axes.twinx()
        shares = [float("nan") if r[3] is None else r[3] * 100 for r in rows]
        share_axes.plot(places, shares, color=COLOURS["line"], marker="o",
                        label=words["on_time"])
        share_axes.set_ylim(0, 105)
        share_axes.set_ylabel(words["on_time"] + " (%)")
        share_axes.spines["right"].set_visible(True)
        handles, labels = axes.get_legend_handles_labels()
        more, more_labels = share_axes.get_legend_handles_labels()
        axes.legend(handles + more, labels + more_labels, loc="upper left", fontsize=9,
                    frameon=False)
        axes.set_title(readable(title))
    return Chart(figure)


def critical_steps(rows: Sequence[tuple[str, float]], *, title: str, lang: str = "zh") -> Chart:
    """How often each step sits on the critical path, as horizontal bars in percent, the
    first row at the top (rows: step display name, share of simulated cases 0..1)."""
    words = WORDS[words_lang(lang)]
    figure, axes = new_figure(8.0, 1.2 + 0.42 * max(len(rows), 1))
    with drawing():
        if not rows:
            _no_data(axes, words)
        places = list(range(len(rows)))[::-1]
        axes.barh(places, [share * 100 for _, share in rows], color=COLOURS["bar"], height=0.6)
        axes.set_yticks(places, [readable(name) for name, _ in rows])
        for place, (_, share) in zip(places, rows, strict=True):
            axes.text(share * 100 + 1, place, percent(share), va="center", fontsize=9,
                      color=COLOURS["text"])
        axes.set_xlim(0, 112)
        axes.set_xlabel(words["critical"] + " (%)")
        axes.set_title(readable(title))
    return Chart(figure)


def _no_data(axes: object, words: Mapping[str, str]) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    axes.text(0.5, 0.5, words["no_data"], transform=axes.transAxes, ha="center", va="center",
              color=COLOURS["text"])


__all__ = ["WORDS", "critical_steps", "lead_time_histogram", "overdue_by_department",
           "weekly_trend"]
