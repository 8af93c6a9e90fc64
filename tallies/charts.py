"""Server-side SVG charts for the dashboard: nothing to download, nothing fetched from
the internet, readable without JavaScript. Labels are escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape

WIDTH, HEIGHT = 720, 300
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 36
COLOURS = {"realised": "#0b6e4f", "expected": "#e09f3e", "target": "#9e2a2b", "grid": "#d9d9d9"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    points: Sequence[tuple[int, float]]  # (day of year, value)
    dashed: bool = False


def _number(value: float, unit: str) -> str:
    """Counts as whole numbers, percentages with one decimal."""
    return f"{value:,.1f}" if unit else f"{value:,.0f}"


def _scale(value: float, top: float, span: int) -> float:
    return span * (value / top) if top else 0.0


def progress_chart(*, series: Sequence[Series], year_days: int, top: float, title: str) -> str:
    """Cumulative lines over the year, x by day of year, with month ticks."""
    top = max(top, 1.0) * 1.05
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="tally-chart" data-chart="progress">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = top * step / 4
        y = PAD_TOP + inner_h - _scale(value, top, inner_h)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value:,.0f}</text>'
        )
    for month, label in enumerate(MONTHS):
        x = PAD_LEFT + inner_w * (month * 30.4 / year_days)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" font-size="11">{label}</text>')
    for line in series:
        if not line.points:
            continue
        coordinates = " ".join(
            f"{PAD_LEFT + inner_w * day / year_days:.1f},{PAD_TOP + inner_h - _scale(value, top, inner_h):.1f}"
            for day, value in line.points
        )
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(
            f'<polyline fill="none" stroke="{line.colour}" stroke-width="2.5"{dash} points="{coordinates}" '
            f'data-series="{escape(line.label)}"/>'
        )
    # Bottom right: the lines start at the bottom left and the target runs along the top.
    legend_x = WIDTH - PAD_RIGHT - 210
    for index, line in enumerate(series):
        y = HEIGHT - PAD_BOTTOM - 8 - (len(series) - 1 - index) * 16
        parts.append(
            f'<rect x="{legend_x}" y="{y - 9}" width="12" height="4" fill="{line.colour}"/>'
        )
        parts.append(
            f'<text x="{legend_x + 18}" y="{y - 4}" font-size="12">{escape(line.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    *,
    bars: Sequence[tuple[str, float, str]],
    title: str,
    unit: str = "",
    marker: float | None = None,
) -> str:
    """Horizontal bars (label, value, colour), largest first as given; an optional
    vertical marker (e.g. the expected % for the date)."""
    row = 26
    height = PAD_TOP + PAD_BOTTOM + row * max(len(bars), 1)
    label_w = 170
    inner_w = WIDTH - label_w - PAD_RIGHT - 60
    top = max([value for _label, value, _c in bars] + [marker or 0, 1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" class="tally-chart" data-chart="bars">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, colour) in enumerate(bars):
        y = PAD_TOP + index * row
        width = _scale(value, top, inner_w)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="16" fill="{colour}" '
            f'data-label="{escape(label)}" data-value="{value}"/>'
        )
        parts.append(
            f'<text x="{label_w + width + 6:.1f}" y="{y + 16}" font-size="12">{_number(value, unit)}{escape(unit)}</text>'
        )
    if marker is not None:
        x = label_w + _scale(marker, top, inner_w)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_TOP}" y2="{height - PAD_BOTTOM + 6}" '
            f'stroke="{COLOURS["expected"]}" stroke-width="2" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Cohort:
    """A month's cohort on the chart: its label, its registered workers, and one share
    (percent of them) per series, None while unknown."""

    label: str
    registered: int
    shares: Sequence[float | None]


COHORT_COLOURS = ("#6c757d", "#0b6e4f", "#e09f3e", "#9e2a2b")


def cohort_chart(
    *, cohorts: Sequence[Cohort], series: Sequence[str], title: str, registered_label: str
) -> str:
    """Grouped vertical bars, one group per cohort (month of registration) and one bar
    per series (paid once, active at 3, 6, 12 months) as a percentage of the cohort; the
    registered count under each group. A share not yet known draws no bar."""
    # The legend in a row above the bars, so no bar can hide under it.
    top = PAD_TOP + 24
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - top - PAD_BOTTOM - 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="tally-chart" data-chart="cohorts">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = 25 * step
        y = top + inner_h - _scale(value, 100, inner_h)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value}%</text>'
        )
    group_w = inner_w / max(len(cohorts), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for index, cohort in enumerate(cohorts):
        left = PAD_LEFT + index * group_w + group_w * 0.1
        for number, (label, share) in enumerate(zip(series, cohort.shares, strict=True)):
            if share is None:
                continue
            height = _scale(share, 100, inner_h)
            parts.append(
                f'<rect x="{left + number * bar_w:.1f}" y="{top + inner_h - height:.1f}" '
                f'width="{bar_w * 0.9:.1f}" height="{height:.1f}" '
                f'fill="{COHORT_COLOURS[number % len(COHORT_COLOURS)]}" '
                f'data-cohort="{escape(cohort.label)}" data-series="{escape(label)}" '
                f'data-value="{share}"><title>{escape(cohort.label)} {escape(label)}: '
                f"{_number(share, '%')}%</title></rect>"
            )
        centre = left + group_w * 0.4
        parts.append(
            f'<text x="{centre:.1f}" y="{top + inner_h + 14}" font-size="11" '
            f'text-anchor="middle">{escape(cohort.label)}</text>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{top + inner_h + 28}" font-size="10" '
            f'text-anchor="middle" data-cohort="{escape(cohort.label)}" '
            f'data-registered="{cohort.registered}">{cohort.registered:,}</text>'
        )
    legend_w = inner_w / max(len(series), 1)
    for index, label in enumerate(series):
        x = PAD_LEFT + index * legend_w
        parts.append(
            f'<rect x="{x:.1f}" y="{PAD_TOP - 6}" width="12" height="10" '
            f'fill="{COHORT_COLOURS[index % len(COHORT_COLOURS)]}"/>'
        )
        parts.append(
            f'<text x="{x + 18:.1f}" y="{PAD_TOP + 3}" font-size="12">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}" font-size="10">{escape(registered_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
