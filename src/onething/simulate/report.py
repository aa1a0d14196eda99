"""What a simulation says, as plain values: the lead-time distribution of the decided cases
(p50, p90, p99, mean, the histogram) against the case's committed and statutory limits, each
stage's time against its limit, how the cases ended, and for each step how often it sits on
the critical path — as JSON (``onething simulate --format json``), as a text table in Chinese
or English, and as charts (the lead-time histogram with the limits drawn, the critical
steps).
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path
from typing import Any

import attrs

from onething.errors import InvalidArgument
from onething.simulate.simulation import OUTCOMES, Simulation, percentiles

#: the words of the text table, by language
WORDS: dict[str, dict[str, str]] = {
    "zh": {"simulated": "模拟 {cases} 件（随机种子 {seed}），{start} 起每个工作日受理 {rate} 件",
           "lead": "办理时长（工作日，暂停不计，已作出决定 {decided} 件）",
           "mean": "平均", "committed": "承诺时限", "statutory": "法定时限",
           "within": "{days} 个工作日，{share} 的办件在时限内", "none": "未规定",
           "outcomes": "结局", "result": "办结", "refusal": "不予许可", "termination": "终止",
           "unfinished": "未完成（反复退回）", "stages": "阶段", "limit": "时限",
           "met": "时限内", "steps": "步骤", "critical": "处于关键路径", "days": "平均工作日",
           "runs": "每件办理次数", "green": "绿色通道办件 {share}",
           "dates": "首件受理 {first}，末件决定 {last}", "provisional": "（含预测年份的日期）",
           "notes": "说明", "colon": "：", "title": "{title}：办理时长（模拟 {cases} 件）",
           "critical_title": "{title}：处于关键路径的步骤", "durations": "时长来源：{source}"},
    "en": {"simulated": "{cases} simulated cases (seed {seed}), {rate} a working day from "
                        "{start}",
           "lead": "lead time (working days, pauses left out; {decided} cases decided)",
           "mean": "mean", "committed": "committed limit", "statutory": "statutory limit",
           "within": "{days} WD, {share} of cases within it", "none": "none",
           "outcomes": "outcomes", "result": "decided", "refusal": "refused",
           "termination": "terminated", "unfinished": "unfinished (sent back again and again)",
           "stages": "stages", "limit": "limit", "met": "within", "steps": "steps",
           "critical": "on the critical path", "days": "mean WD", "runs": "runs per case",
           "green": "green-channel cases {share}",
           "dates": "first submission {first}, last decision {last}",
           "provisional": " (dates in a projected year)", "notes": "notes", "colon": ": ",
           "title": "{title}: lead time ({cases} simulated cases)",
           "critical_title": "{title}: steps on the critical path",
           "durations": "durations: {source}"},
}


@attrs.frozen
class SimulationReport:
    """A simulation's figures (shares 0..1, days in working days; None where there is
    nothing to say)."""

    workflow: str
    version: int
    title: str
    cases: int
    seed: int
    start: str
    arrivals: float
    durations: str
    fitted_steps: tuple[str, ...]
    decided: int
    outcomes: dict[str, int]
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None
    histogram: tuple[tuple[int, int], ...]
    #: (which, limit in WD, share of decided cases within it)
    limits: tuple[tuple[str, float, float | None], ...]
    #: (id, title, limit WD or None, cases through it, p50, p90, share within the limit)
    stages: tuple[tuple[str, str, float | None, int, float | None, float | None,
                        float | None], ...]
    #: (id, title, department, runs per case, mean working days a run, critical share)
    steps: tuple[tuple[str, str, str, float, float | None, float | None], ...]
    green_share: float
    first_submission: str
    last_decision: str | None
    provisional: bool
    #: (Chinese, English)
    notes: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, sim: Simulation) -> SimulationReport:
        """The figures of ``sim``."""
        import numpy as np

        done = sim.done
        lead = sim.lead[done]
        p50, p90, p99 = (None if math.isnan(v) else v for v in percentiles(lead, 50, 90, 99))
        days, counts = np.unique(lead, return_counts=True)
        limits = []
        for which in ("committed", "statutory"):
            limit = sim.case_limit(which)
            if limit is not None:
                limits.append((which, limit, _share(lead <= limit)))
        stages = []
        for number, stage in enumerate(sim.stages):
            used = sim.stage_days[:, number]
            through = used[used >= 0]
            s50, s90 = (None if math.isnan(v) else v for v in percentiles(through, 50, 90))
            limit = sim.stage_limit(number)
            stages.append((stage.id, stage.title or stage.id, limit, len(through), s50, s90,
                           _share(through <= limit) if limit is not None else None))
        steps = []
        for number, step in enumerate(sim.steps):
            runs = int(sim.step_runs[number])
            steps.append((step.id, step.title or step.id,
                          sim.workflow.department_title(step.department), runs / sim.cases,
                          float(sim.step_days[number] / runs) if runs else None,
                          _share(sim.on_critical_path(number)[done])))
        decided_on = sim.decided[sim.outcome != 3]
        last = str(sim.index.date(int(decided_on.max()))) if len(decided_on) else None
        reached = np.concatenate([sim.submitted, decided_on])
        return cls(
            sim.workflow.id, sim.workflow.version, sim.workflow.title, sim.cases, sim.seed,
            str(sim.index.date(0)), sim.durations.arrivals, sim.durations.source,
            sim.durations.fitted_steps, int(done.sum()),
            {name: int((sim.outcome == code).sum()) for code, name in OUTCOMES.items()},
            p50, p90, p99, float(lead.mean()) if len(lead) else None,
            tuple((int(d), int(c)) for d, c in zip(days, counts, strict=True)),
            tuple(limits), tuple(stages), tuple(steps), float(sim.green.mean()),
            str(sim.index.date(int(sim.submitted.min()))), last,
            sim.index.provisional(reached), sim.notes)

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON (schema: ``src/onething/cli/schemas/simulate.json``)."""
        return {
            "workflow": self.workflow, "version": self.version, "title": self.title,
            "cases": self.cases, "seed": self.seed, "start": self.start,
            "arrivals_per_day": self.arrivals, "durations": self.durations,
            "fitted_steps": list(self.fitted_steps), "decided": self.decided,
            "outcomes": dict(self.outcomes),
            "lead_days": {"p50": self.p50, "p90": self.p90, "p99": self.p99,
                          "mean": self.mean,
                          "histogram": [{"days": d, "cases": c} for d, c in self.histogram]},
            "limits": [{"which": w, "days": d, "share_met": s} for w, d, s in self.limits],
            "stages": [{"id": i, "title": t, "limit_days": limit, "cases": n, "p50": a,
                        "p90": b, "share_met": s}
                       for i, t, limit, n, a, b, s in self.stages],
            "steps": [{"id": i, "title": t, "department": d, "runs_per_case": r,
                       "mean_days": m, "critical_share": c}
                      for i, t, d, r, m, c in self.steps],
            "green_share": self.green_share,
            "dates": {"first_submission": self.first_submission,
                      "last_decision": self.last_decision, "provisional": self.provisional},
            "notes": [{"zh": zh, "en": en} for zh, en in self.notes],
        }

    def text(self, lang: str = "zh") -> str:
        """The figures as a text table, in Chinese (``zh``) or English (``en``)."""
        if lang not in WORDS:
            raise InvalidArgument(f"unknown language {lang!r}", "zh or en")
        w = WORDS[lang]
        lines = [f"{self.title} ({self.workflow}@{self.version})",
                 w["simulated"].format(cases=f"{self.cases:,}", seed=self.seed,
                                       start=self.start, rate=f"{self.arrivals:g}"),
                 w["durations"].format(source=self.durations)]
        lines += ["", w["lead"].format(decided=f"{self.decided:,}"),
                  f"  P50 {_days(self.p50)}   P90 {_days(self.p90)}   P99 {_days(self.p99)}   "
                  f"{w['mean']} {_days(self.mean, 1)}"]
        given = dict((which, (days, share)) for which, days, share in self.limits)
        for which in ("committed", "statutory"):
            found = given.get(which)
            said = w["within"].format(days=_days(found[0]), share=_pct(found[1])) \
                if found else w["none"]
            lines.append(f"  {w[which]}{w['colon']}{said}")
        lines.append(f"{w['outcomes']}{w['colon']}" + "  ".join(
            f"{w[name]} {count:,}" for name, count in self.outcomes.items()
            if count or name != "unfinished"))
        if self.green_share:
            lines.append(w["green"].format(share=_pct(self.green_share)))
        if self.stages:
            lines += ["", w["stages"]]
            rows = [[title if lang == "zh" else ident, f"{w['limit']} {_days(limit)}",
                     f"P50 {_days(a)}", f"P90 {_days(b)}", f"{w['met']} {_pct(share)}"]
                    for ident, title, limit, _, a, b, share in self.stages]
            lines += _table(rows)
        lines += ["", w["steps"]]
        head = ["", w["critical"], w["days"], w["runs"]]
        rows = [[title if lang == "zh" else ident, _pct(critical), _days(mean, 1),
                 f"{runs:.2f}"] for ident, title, _, runs, mean, critical in self.steps]
        lines += _table([head, *rows])
        last = self.last_decision or "-"
        lines += ["", w["dates"].format(first=self.first_submission, last=last)
                  + (w["provisional"] if self.provisional else "")]
        if self.notes:
            pick = 0 if lang == "zh" else 1
            lines.append(f"{w['notes']}{w['colon'].rstrip()}")
            lines += [f"  - {note[pick]}" for note in self.notes]
        return "\n".join(lines)

    def charts(self, directory: Path, lang: str = "zh") -> list[Path]:
        """Write the lead-time histogram (limits drawn) and the critical steps to
        ``directory`` as PNG and SVG; returns the files written."""
        from onething import charts

        w = WORDS[lang if lang in WORDS else "zh"]
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        limits = [(w[which], int(days)) for which, days, _ in self.limits
                  if float(days).is_integer()]
        histogram = charts.lead_time_histogram(
            dict(self.histogram), limits, lang=lang,
            title=w["title"].format(title=self.title, cases=f"{self.cases:,}"))
        ranked = sorted(((title if lang == "zh" else step, share or 0.0)
                         for step, title, _, _, _, share in self.steps),
                        key=lambda row: -row[1])
        critical = charts.critical_steps(
            ranked, lang=lang, title=w["critical_title"].format(title=self.title))
        written = []
        for name, chart in (("lead_time", histogram), ("critical_steps", critical)):
            for suffix in ("png", "svg"):
                path = directory / f"{name}.{suffix}"
                chart.save(path)
                written.append(path)
        return written


def _share(flags: Any) -> float | None:
    return float(flags.mean()) if len(flags) else None


def _days(value: float | None, places: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{places}f}" if places else f"{value:g}"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[list[str]]) -> list[str]:
    """Rows of cells, each column as wide as its widest cell (the first left-aligned)."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) if i == 0
                 else " " * (widths[i] - _width(cell)) + cell for i, cell in enumerate(row)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


__all__ = ["WORDS", "SimulationReport"]
