"""``onething report``: the statistics of the cases in a database (issue 19), as tables in
Chinese (``--lang en``: English) or JSON, and as charts (PNG and SVG) on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from onething.cli._shared import db_option, engine_on, json_out, new_table
from onething.cli.common import cli, lang, out, remember_format, worded

if TYPE_CHECKING:
    from onething.cases.statistics import Distribution, Figures, Report

#: column and row titles: English -> Chinese
_ZH = {
    "figure": "指标", "value": "数值", "received": "收件", "accepted": "受理",
    "deemed accepted": "视为受理", "green channel": "绿色通道", "delivered": "办结",
    "on time": "按时办结率", "overdue": "超期率", "early": "提前办结率",
    "first time": "一次办结率", "instant": "即办件占比", "corrections": "补正次数",
    "lead time (WD)": "办理时长（工作日）",
    "mean / median / p90 / p99": "均值 / 中位数 / p90 / p99",
    "workflow": "事项", "department": "部门", "period": "时段", "step": "环节",
    "ended": "办结环节数", "working days": "各环节用时（工作日）", "mean": "均值",
    "median": "中位数", "ratings": "好差评", "level": "等级",
    "count": "数量", "bad ratings": "差评", "rectified on time": "按期整改率",
    "result": "准予", "refusal": "不予", "withdrawal": "撤回", "termination": "终止",
    "cases": "件", "none yet": "暂无",
}


def _t(word: str) -> str:
    return worded(word, _ZH)


def _share(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _spread(spread: Distribution) -> str:
    return " / ".join(_spread_cells(spread)) if spread.count else "-"


def _delivered(figures: Figures) -> str:
    total = sum(figures.delivered.values())
    parts = ", ".join(f"{_t(kind)} {n}" for kind, n in sorted(figures.delivered.items()))
    return f"{total}" + (f" ({parts})" if parts else "")


def _charts(report: Report, folder: Path) -> list[Path]:
    """Write the report's charts as PNG and SVG into ``folder``: the lead-time histogram of
    each workflow with its limits drawn, overdue steps by department, the weekly trend."""
    from datetime import date

    from onething import charts

    folder.mkdir(parents=True, exist_ok=True)
    chinese = lang() == "zh"
    written: list[Path] = []
    made: list[tuple[str, charts.Chart]] = []
    for workflow, figures in sorted(report.workflows.items()):
        limits = [((("承诺时限" if which == "committed" else "法定时限") if chinese
                   else which), int(float(text.split()[0])))
                  for which, text in report.limits.get(workflow, {}).items()
                  if text.endswith(" WD")]
        title = report.name("workflow", workflow)
        made.append((f"lead-time-{workflow}", charts.lead_time_histogram(
            figures.lead.histogram, limits,
            title=f"{title}：办理时长" if chinese else f"{title}: lead time", lang=lang())))
    by_department: dict[str, tuple[int, int]] = {}
    for step in report.steps:
        late, ended = by_department.get(step.department, (0, 0))
        by_department[step.department] = (late + step.late, ended + step.ended)
    made.append(("overdue-by-department", charts.overdue_by_department(
        [(report.name("department", d), late, ended)
         for d, (late, ended) in sorted(by_department.items()) if ended],
        title="各部门超期环节" if chinese else "Overdue steps by department", lang=lang())))
    if report.period == "week":
        made.append(("weekly-trend", charts.weekly_trend(
            [(date.fromisoformat(week), f.received, sum(f.delivered.values()), f.on_time_rate)
             for week, f in report.periods.items()],
            title="每周趋势" if chinese else "Weekly trend", lang=lang())))
    for name, chart in made:
        for suffix in (".png", ".svg"):
            path = folder / f"{name}{suffix}"
            chart.save(path)
            written.append(path)
    return written


@cli.command()
@db_option
@click.option("--workflow", help="only this workflow's cases")
@click.option("--department", help="only this department's cases and steps (a case's lead "
              "department for case figures, a step's department for step figures)")
@click.option("--from", "since", help="the first day counted (YYYY-MM-DD; default: the first)")
@click.option("--to", "until", help="the last day counted (YYYY-MM-DD; default: the last)")
@click.option("--period", type=click.Choice(["day", "week", "month", "year", "all"]),
              default="week", show_default=True, help="how the table by period groups days")
@click.option("--charts", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="write the charts (PNG and SVG) into this folder (needs matplotlib: pip "
              "install 'onething[report]')")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, callback=remember_format)
def report(db: str, workflow: str | None, department: str | None, since: str | None,
           until: str | None, period: str, folder: Path | None, fmt: str) -> None:
    """Statistics of the cases in the database: received, accepted, delivered by kind;
    按时办结率, 超期率, 提前办结率, 一次办结率, 即办件 share; lead time and each step's working
    time (mean, median, p90, p99, pauses left out); corrections per step; 好差评 by level and
    bad ratings rectified in time (docs/statistics.md). Read from counts kept with every
    change: a report costs the same over 100k or 1M cases."""
    with engine_on(db) as engine:
        found = engine.statistics(workflow=workflow, department=department, since=since,
                                  until=until, period=period)
    written = _charts(found, folder) if folder is not None else []
    if fmt == "json":
        json_out(found.to_json() | {"charts": [str(p) for p in written]})
        return
    _print(found)
    for path in written:
        out.print(str(path))


def _spread_cells(spread: Distribution) -> list[str]:
    if spread.count == 0:
        return ["-"] * 4
    mean = spread.mean
    return [f"{mean:.1f}" if mean is not None else "-", str(spread.median), str(spread.p90),
            str(spread.p99)]


_SPREAD = ("mean", "median", "p90", "p99")


def _print(report: Report) -> None:
    total = report.total
    table = new_table(_t("figure"), _t("value"))
    for name, value in (
            ("received", f"{total.received} ({_t('green channel')} {total.green})"),
            ("accepted", f"{total.accepted} ({_t('deemed accepted')} {total.deemed})"),
            ("delivered", _delivered(total)), ("on time", _share(total.on_time_rate)),
            ("overdue", _share(total.overdue_rate)), ("early", _share(total.early_rate)),
            ("first time", _share(total.first_time_rate)),
            ("instant", _share(total.instant_rate)), ("corrections", str(total.corrections)),
            ("lead time (WD)", _spread(total.lead))):
        table.add_row(_t(name), value)
    scope = " ".join(part for part in (
        report.since or "", "-" if report.since or report.until else "", report.until or "",
        report.name("workflow", report.workflow) if report.workflow else "",
        report.name("department", report.department) if report.department else "") if part)
    if scope:
        out.print(scope)
    out.print(table)
    out.print(f"{_t('lead time (WD)')}: {_t('mean / median / p90 / p99')}")
    rows = new_table(_t("workflow"), _t("received"), _t("delivered"), _t("on time"),
                     _t("first time"), *map(_t, _SPREAD))
    for workflow, figures in sorted(report.workflows.items()):
        rows.add_row(report.name("workflow", workflow), str(figures.received),
                     _delivered(figures), _share(figures.on_time_rate),
                     _share(figures.first_time_rate), *_spread_cells(figures.lead))
    out.print(rows)
    periods = new_table(_t("period"), _t("received"), _t("delivered"), _t("on time"),
                        *map(_t, _SPREAD))
    for when, figures in report.periods.items():
        periods.add_row(when or "-", str(figures.received), _delivered(figures),
                        _share(figures.on_time_rate), *_spread_cells(figures.lead))
    out.print(periods)
    order = {key: n for n, key in enumerate(report.names)}
    for workflow in sorted({s.workflow for s in report.steps}):
        out.print(f"{report.name('workflow', workflow)} — {_t('working days')}")
        steps = new_table(_t("step"), _t("department"), _t("ended"), *map(_t, _SPREAD),
                          _t("overdue"), _t("corrections"))
        for step in sorted((s for s in report.steps if s.workflow == workflow),
                           key=lambda s: order.get(f"step:{s.workflow}:{s.step}", 1 << 30)):
            steps.add_row(report.name("step", step.workflow, step.step),
                          report.name("department", step.department), str(step.ended),
                          *_spread_cells(step.time), _share(step.overdue_rate),
                          str(step.corrections))
        out.print(steps)
    from onething.cases.statistics import LEVELS

    ratings = report.ratings
    levels = ", ".join(f"{LEVELS[k][0 if lang() == 'zh' else 1]} {n}"
                       for k, n in sorted(ratings.levels.items(), reverse=True))
    out.print(f"{_t('ratings')}: {levels}; {_t('bad ratings')} {ratings.bad}; "
              f"{_t('rectified on time')} {_share(ratings.rectified_rate)}")
