"""Charts as inline SVG, byte-for-byte reproducible.

matplotlib is used through a bare Figure (no pyplot, so no GUI backend and no global figure state).
The SVG's random ids come from a fixed hash salt, it carries no date or other metadata, and text stays
text (rendered with the report's font), so two runs on the same data give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # never a GUI backend, whatever the environment says

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from checks.registry import SEVERITIES
from reports.i18n import Translator

SEVERITY_COLOURS = {
    "critical": "#8e0000",
    "high": "#d1495b",
    "medium": "#edae49",
    "low": "#66a182",
    "info": "#9aa5b1",
}
DETERMINISTIC_RC = {
    "svg.hashsalt": "schoolaudit",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
}
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def trend_svg(
    weeks: Sequence[str],
    counts: Mapping[str, Mapping[str, int]],
    t: Translator,
    checked: Collection[str] | None = None,
) -> str:
    """Stacked bars of findings per week by severity; `counts[week][severity]`, weeks oldest first.
    Weeks outside `checked` (when given) are marked as not checked, so they do not read as zero."""
    labels = [week.split("-W")[1].lstrip("0") for week in weeks]
    with matplotlib.rc_context(DETERMINISTIC_RC):
        fig = Figure(figsize=(4.6, 2.8))  # beside the severity table on the report's first page
        ax = fig.add_subplot()
        bottom = [0] * len(weeks)
        for severity in SEVERITIES:
            heights = [counts.get(week, {}).get(severity, 0) for week in weeks]
            if any(heights):
                ax.bar(
                    labels,
                    heights,
                    bottom=bottom,
                    color=SEVERITY_COLOURS[severity],
                    label=t(f"severity.{severity}"),
                    width=0.6,
                )
                bottom = [b + h for b, h in zip(bottom, heights)]
        if not any(bottom):
            ax.bar(labels, bottom)  # an empty week still gets its axis
        ax.set_xlabel(t("chart.week"))
        ax.set_ylabel(t("chart.findings"))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0, top=max(max(bottom, default=0), 1) * 1.1)
        ax.spines[["top", "right"]].set_visible(False)
        if checked is not None:
            top = ax.get_ylim()[1]
            for x, week in enumerate(weeks):
                if week not in checked:
                    ax.text(x, top * 0.03, t("chart.not_checked"), rotation=90, ha="center", va="bottom",
                            fontsize=7, color="#6b7785")
        if any(bottom):  # above the bars, in one row: never over them
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, frameon=False, fontsize=8)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata=NO_METADATA)
    svg = buffer.getvalue()
    # Drop the XML prologue and DOCTYPE: the SVG is embedded in HTML.
    svg = svg[svg.index("<svg") :]
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(t("chart.trend_label"))}" ', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
