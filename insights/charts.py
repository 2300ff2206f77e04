"""Charts as inline SVG made on the server: no JavaScript, nothing the staff pages' Content-Security-
Policy would block (presentation attributes only, no inline styles). Each chart is an image with a
<title> and <desc> for screen readers, and comes with the same numbers as a table."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 150, 40, 16, 36
# Colour and dash pattern both tell the series apart (not colour alone); colours reach 3:1 on white.
SERIES_STYLES = [("#25408f", ""), ("#137333", "6 3"), ("#b3261e", "2 3"), ("#8a4b00", "8 3 2 3")]
_ids = itertools.count(1)


@dataclass
class Chart:
    svg: Markup
    caption: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _open_svg(title: str, desc: str, height: int) -> tuple[str, list[str]]:
    n = next(_ids)
    tid, did = f"chart-{n}-title", f"chart-{n}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{tid} {did}">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return head, []


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def bar_chart(
    title: str,
    items: list[tuple[str, float]],
    unit: str = "",
    headers: tuple[str, str] = ("", ""),
    maximum: float | None = None,
) -> Chart:
    """Horizontal bars, one per item, the value written at the end of each bar; the longest bar is
    `maximum` (e.g. 100 for percentages), else the largest value."""
    desc = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in items) or "no data"
    row_height = 24
    height = max(MARGIN_TOP + MARGIN_BOTTOM, MARGIN_TOP + row_height * len(items) + 8)
    head, parts = _open_svg(title, desc, height)
    top = maximum or max((value for _, value in items), default=0) or 1
    span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT - 40
    for i, (label, value) in enumerate(items):
        y = MARGIN_TOP + i * row_height
        width = max(1.0, span * value / top) if value else 0
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{MARGIN_LEFT - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1d2433">'
            f"{escape(short)}</text>"
            f'<rect x="{MARGIN_LEFT}" y="{y + 3}" width="{width:.1f}" height="16" fill="#25408f"/>'
            f'<text x="{MARGIN_LEFT + width + 6:.1f}" y="{y + 15}" font-size="12" fill="#1d2433">'
            f"{escape(_number(value) + unit)}</text>"
        )
    if not items:
        parts.append(f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" font-size="13">No data</text>')
    svg = Markup(head + "".join(parts) + "</svg>")
    return Chart(svg, title, list(headers), [[label, _number(value) + unit] for label, value in items])


def line_chart(title: str, labels: list[str], series: dict[str, list[float]]) -> Chart:
    """One line per series over the labels (days), with a legend and a y axis from 0."""
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{label} {_number(v)}" for label, v in zip(labels, values, strict=True))
        for name, values in series.items()
    )
    height = HEIGHT
    head, parts = _open_svg(title, desc or "no data", height)
    left, right = 48, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP + 20, height - MARGIN_BOTTOM
    peak = max((v for values in series.values() for v in values), default=0) or 1

    def x(i: int) -> float:
        return left + (right - left) * (i / max(1, len(labels) - 1))

    def y(v: float) -> float:
        return bottom - (bottom - top) * v / peak

    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#5b6577"/>')
    for tick in sorted({0, peak / 2, peak}):
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6577">'
            f"{escape(_number(round(tick, 1)))}</text>"
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{right}" y2="{y(tick):.1f}" stroke="#e6eaf2"/>'
        )
    step = max(1, len(labels) // 8)  # at most ~8 dates under the axis
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11" fill="#5b6577">'
                f"{escape(label[5:] if len(label) == 10 else label)}</text>"
            )
    for n, (name, values) in enumerate(series.items()):
        colour, dash = SERIES_STYLES[n % len(SERIES_STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if len(values) > 1:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        parts.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>' for i, v in enumerate(values))
        lx = left + n * 140
        parts.append(
            f'<line x1="{lx}" y1="{MARGIN_TOP}" x2="{lx + 24}" y2="{MARGIN_TOP}" stroke="{colour}" stroke-width="2"'
            f"{dash_attr}/>"
            f'<text x="{lx + 30}" y="{MARGIN_TOP + 4}" font-size="12" fill="#1d2433">{escape(name)}</text>'
        )
    svg = Markup(head + "".join(parts) + "</svg>")
    rows = [[label, *(_number(values[i]) for values in series.values())] for i, label in enumerate(labels)]
    return Chart(svg, title, ["Day", *series], rows)
