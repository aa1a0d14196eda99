"""The charts: each renders to PNG and SVG, the SVG carries the limits' labels and the axis
words (matplotlib writes each text beside its glyph paths), the same input gives the same SVG
bytes, save() takes the format from the suffix and refuses any other, and a machine without
a CJK font gets English words and one warning — never empty boxes."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from onething import charts
from onething.charts import figure
from onething.errors import InvalidArgument

PNG = b"\x89PNG\r\n\x1a\n"


def histogram(lang: str = "zh") -> charts.Chart:
    return charts.lead_time_histogram({30: 4, 38: 25, 44: 31, 47: 9, 53: 2},
                                      [("承诺时限", 45), ("法定时限", 79)],
                                      title="工程建设项目审批", lang=lang)


def overdue(lang: str = "zh") -> charts.Chart:
    return charts.overdue_by_department([("住建局", 12, 80), ("人防办", 0, 30)],
                                        title="超期办件", lang=lang)


def trend(lang: str = "zh") -> charts.Chart:
    monday = dt.date(2026, 9, 7)
    return charts.weekly_trend([(monday + dt.timedelta(weeks=w), 20 + w, 15 + w,
                                 None if w == 1 else 0.8) for w in range(4)],
                               title="每周趋势", lang=lang)


def critical(lang: str = "zh") -> charts.Chart:
    return charts.critical_steps([("政府投资项目审批", 0.62), ("联合审图", 0.4)],
                                 title="关键路径", lang=lang)


ALL: dict[str, tuple[Callable[[str], charts.Chart], list[str], list[str]]] = {
    # chart: (make it, words in zh, words in en)
    "histogram": (histogram, ["承诺时限 45", "法定时限 79", "工作日", "办件数"],
                  ["working days", "cases"]),
    "overdue": (overdue, ["住建局", "12 / 80 (15%)", "超期办件数"], ["overdue cases"]),
    "trend": (trend, ["收件", "办结", "按时办结率", "09-07"],
              ["received", "delivered", "on-time share"]),
    "critical": (critical, ["政府投资项目审批", "62%", "处于关键路径的办件比例"],
                 ["share of cases on the critical path"]),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_chart_renders_png_and_svg_with_its_words(name: str) -> None:
    make, zh, en = ALL[name]
    chart = make("zh")
    assert chart.render("png").startswith(PNG)
    svg = chart.render("svg").decode()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for word in zh:
        assert f"<!-- {word}" in svg or f" {word} -->" in svg or word in svg, word
    english = make("en").render("svg").decode()
    for word in en:
        assert word in english, word


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_same_input_gives_the_same_svg_bytes(name: str) -> None:
    make = ALL[name][0]
    first = make("zh")
    first.render("png")  # what was rendered before changes nothing
    assert first.render("svg") == make("zh").render("svg")
    assert b"<dc:date>" not in first.render("svg")


def test_save_takes_the_format_from_the_suffix(tmp_path: Path) -> None:
    chart = histogram()
    chart.save(tmp_path / "lead.png")
    chart.save(tmp_path / "lead.SVG")
    assert (tmp_path / "lead.png").read_bytes().startswith(PNG)
    assert b"<svg" in (tmp_path / "lead.SVG").read_bytes()


@pytest.mark.parametrize("name", ["lead.pdf", "lead", "lead.svg.txt"])
def test_save_refuses_another_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidArgument, match=r"neither \.png nor \.svg"):
        histogram().save(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_render_and_lang_refuse_what_they_do_not_know() -> None:
    with pytest.raises(InvalidArgument, match="png or svg"):
        histogram().render("pdf")
    with pytest.raises(InvalidArgument, match="zh or en"):
        histogram("fr")


def test_empty_rows_draw_an_empty_chart_that_says_so() -> None:
    svg = charts.lead_time_histogram({}, [], title="空").render("svg").decode()
    assert "无数据" in svg
    for chart in (charts.overdue_by_department([], title="x"),
                  charts.weekly_trend([], title="x"), charts.critical_steps([], title="x")):
        assert "无数据" in chart.render("svg").decode()


def test_without_a_cjk_font_the_words_are_english_and_one_warning_is_logged(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(figure, "_found", [None])
    monkeypatch.setattr(figure, "_warned", [])
    with caplog.at_level(logging.WARNING, logger="onething.charts.figure"):
        first = histogram("zh").render("svg").decode()
        critical("zh").render("svg")
    warnings = [r for r in caplog.records if "CJK" in r.getMessage()]
    assert len(warnings) == 1
    assert "working days" in first and "工作日" not in first
    # a name in Chinese characters is drawn with ? for them, never as empty boxes
    assert "? 45" in first and "承诺时限" not in first


def test_importing_charts_loads_no_matplotlib() -> None:
    code = "import onething.charts, sys; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={"PYTHONPATH": str(Path(charts.__file__).parents[2])})
    assert done.stdout.strip() == "False"
