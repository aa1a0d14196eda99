"""A chart as onething draws it: one matplotlib figure (Agg canvas, never pyplot's global state),
saved as PNG or SVG, with the words of its axes in Chinese or English and a CJK font found on
the machine.

matplotlib is imported when a chart is first drawn, never when onething is imported. SVG output
is deterministic — a fixed ``svg.hashsalt``, no date in the metadata, glyphs written as paths
with the text in a comment beside them — so the same input gives the same bytes, and a test can
read the words back. Without a CJK font (Debian: ``fonts-noto-cjk``) a chart is drawn with its
English words and one warning is logged; a name in Chinese characters is then shown with ``?``
for them, never as empty boxes (tofu).
"""

from __future__ import annotations

import io
import pathlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from onething.errors import InvalidArgument
from onething.privacy.masking import personal_logger

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = personal_logger(__name__)

#: the formats a chart is saved in
FORMATS = ("png", "svg")
#: the languages of a chart's words, the default first
LANGS = ("zh", "en")
#: CJK fonts tried in order (Debian's fonts-noto-cjk first, then common others)
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans SC",
             "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC")
#: the palette every chart shares
COLOURS = {"bar": "#4C72B0", "second": "#8FB3D9", "limit": "#C44E52", "line": "#DD8452",
           "text": "#333333"}
#: what ``svg.hashsalt`` is set to: the ids in an SVG depend on it, not on chance
_SALT = "onething-charts"
_DPI = 110
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")

_found: list[str | None] = []  # the CJK font, looked up once per process
_warned: list[bool] = []


def cjk_family() -> str | None:
    """The name of a CJK font matplotlib can use (looked up once), or None."""
    if not _found:
        from matplotlib import font_manager

        names = {entry.name for entry in font_manager.fontManager.ttflist}
        _found.append(next((name for name in CJK_FONTS if name in names), None))
    return _found[0]


def words_lang(lang: str) -> str:
    """The language a chart's words are drawn in: ``lang``, or English when ``lang`` is
    Chinese and no CJK font is installed (logged once)."""
    if lang not in LANGS:
        raise InvalidArgument(f"unknown chart language {lang!r}", "zh or en")
    if lang == "zh" and cjk_family() is None:
        if not _warned:
            _warned.append(True)
            log.warning("no CJK font found (install fonts-noto-cjk): charts are drawn with "
                        "English labels")
        return "en"
    return lang


def readable(text: str) -> str:
    """``text`` as it can be drawn: unchanged when a CJK font is installed, else with each
    run of CJK characters replaced by ``?`` (a name people typed in Chinese)."""
    if cjk_family() is not None:
        return text
    return _CJK.sub("?", text)


def _rc() -> dict[Any, Any]:  # matplotlib types its keys as literals
    family = cjk_family()
    fonts = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    return {"font.family": "sans-serif", "font.sans-serif": fonts,
            "axes.unicode_minus": False, "svg.hashsalt": _SALT, "svg.fonttype": "path",
            "axes.spines.top": False, "axes.spines.right": False}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_rc()):
        yield


class Chart:
    """One chart: a matplotlib :class:`~matplotlib.figure.Figure` drawn on the Agg canvas.

    ``figure`` is the figure itself, for a caller who wants to adjust it before saving.
    """

    def __init__(self, figure: Figure) -> None:
        self.figure = figure
        # lay the figure out once and keep it so: a layout recomputed at each save would
        # depend on which format was rendered before (the SVG's ids hash the positions)
        with _style():
            figure.draw_without_rendering()
        figure.set_layout_engine("none")

    def save(self, path: pathlib.Path) -> None:
        """Write the chart to ``path``, as PNG or SVG by its suffix (``.png``, ``.svg``);
        another suffix is :class:`~onething.errors.InvalidArgument`."""
        path = pathlib.Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise InvalidArgument(
                f"cannot save a chart as {path.name!r}: the format is taken from the suffix, "
                f"and {path.suffix or 'no suffix'!r} is neither .png nor .svg",
                "name the file chart.png or chart.svg")
        path.write_bytes(self.render(fmt))

    def render(self, fmt: str) -> bytes:
        """The chart as ``png`` or ``svg`` bytes (the same input gives the same SVG bytes)."""
        if fmt not in FORMATS:
            raise InvalidArgument(f"unknown chart format {fmt!r}", "png or svg")
        buffer = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
        with _style():
            self.figure.savefig(buffer, format=fmt, metadata=metadata, dpi=_DPI)
        return buffer.getvalue()


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` inches on its own Agg canvas, with one axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _style():
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
    return figure, axes


@contextmanager
def drawing() -> Iterator[None]:
    """The style every chart is drawn in (fonts, no top or right spine): text made inside
    it takes the CJK font."""
    with _style():
        yield


def percent(share: float) -> str:
    """A share 0..1 as a whole percent (``0.834`` -> ``83%``)."""
    return f"{share * 100:.0f}%"


__all__ = ["CJK_FONTS", "COLOURS", "FORMATS", "LANGS", "Chart", "cjk_family", "drawing",
           "new_figure", "percent", "readable", "words_lang"]
