"""Charts drawn on the server as SVG: pure functions from numbers to markup.

Each chart is an image to assistive technology (role="img", named by its <title> through
aria-labelledby, described by its <desc>); the page puts a table with the same numbers next to
it, which is what a screen reader reads. Colours come from the stylesheet through classes, so
the markup carries no inline style (the Content-Security-Policy allows none), and every value
is also written as text or in a tooltip, never told by colour alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
# The stylesheet's size for chart text (dashboard.css, `.chart text`), in the viewBox's units,
# and the widest a character of it is on average: enough to tell where labels would collide.
FONT_SIZE = 13
CHAR_WIDTH = 0.62 * FONT_SIZE
LABEL_GAP = 8
_ID = re.compile(r"[a-z][a-z0-9-]{0,40}")


@dataclass(frozen=True)
class Bar:
    label: str
    # None: nothing to draw (no data for this column), unlike a real zero.
    value: float | None
    # The value as a person reads it ("87 %"); the number itself when empty.
    shown: str = ""

    @property
    def text(self) -> str:
        if self.shown:
            return self.shown
        return "" if self.value is None else f"{self.value:g}"


@dataclass(frozen=True)
class Stack:
    label: str
    # One value per series, bottom to top.
    values: tuple[int, ...]
    # A second line under the label, such as the year under January.
    sub: str = ""


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, description: str, height: int, kind: str) -> list[str]:
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id {chart_id!r}: lower-case letters, digits and dashes")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img"'
        f' viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMinYMin meet"'
        f' aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc"'
        f' id="{chart_id}" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


EMPTY_HEIGHT = 60


def _value_axis(
    ticks: Sequence[float], end: float, top: int, plot_h: int, left: int, right: int,
    suffix: str = "",
) -> str:
    """A grid line at each tick from 0 to `end`, labelled with its value at the left."""
    lines = ['<g class="chart-axis" aria-hidden="true">']
    for value in ticks:
        y = top + plot_h - plot_h * value / end
        lines.append(
            f'<line class="chart-grid" x1="{left}" x2="{WIDTH - right}"'
            f' y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{escape(_num(value) + suffix)}</text>"
        )
    lines.append("</g>")
    return "".join(lines)


def quarters(end: float) -> list[float]:
    """Five ticks: 0, a quarter, a half, three quarters and all of `end` (e.g. 100 %)."""
    return [end * step / 4 for step in range(5)]


def whole_ticks(largest: float) -> list[int]:
    """Ticks for a count: whole numbers from 0, a round step apart (1, 2, 5, 10, 20, ...),
    at most five, the last at or above `largest`."""
    step = 1
    steps = (1, 2, 5)
    power = 1
    index = 0
    while math.ceil(largest / step) > 4:
        index += 1
        if index == len(steps):
            index, power = 0, power * 10
        step = steps[index] * power
    count = max(1, math.ceil(largest / step))
    return [step * n for n in range(count + 1)]


def spacing(labels: Sequence[str], slot: float, at_least: int = 1) -> int:
    """Label every n-th column, n the smallest (from `at_least`) at which no label runs into
    the next one labelled."""
    widest = max((len(label) for label in labels), default=0) * CHAR_WIDTH + LABEL_GAP
    return max(at_least, math.ceil(widest / slot) if slot > 0 else 1)


def _baseline(y: int, left: int, right: int) -> str:
    return f'<line class="chart-baseline" x1="{left}" x2="{WIDTH - right}" y1="{y}" y2="{y}"/>'


def _empty(parts: list[str], height: int, empty: str) -> Markup:
    # A short image with one line of text, not a tall empty plot.
    parts[0] = parts[0].replace(f"0 0 {WIDTH} {height}", f"0 0 {WIDTH} {EMPTY_HEIGHT}")
    parts.append(
        f'<text class="chart-empty" x="{WIDTH / 2:g}" y="{EMPTY_HEIGHT / 2 + 6:g}"'
        f' text-anchor="middle">{escape(empty)}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def _nice_maximum(value: float) -> float:
    """A round axis end at or above `value` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 < value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop above always returns


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    maximum: float | None = None,
    axis_suffix: str = "",
    label_every: int = 1,
    empty: str = "",
) -> Markup:
    """Vertical bars, one per column, on a value axis from 0 to `maximum` (e.g. 100 for a
    percentage; by default a round number above the largest value, in whole steps for
    counts). Only every `label_every`-th column is labelled below the axis, or fewer where
    labels would run into each other, so that many columns stay legible."""
    height, top, bottom, left, right = 300, 16, 44, 48, 8
    parts = _open(chart_id, title, description, height, "bars")
    values = [b.value for b in bars if b.value is not None]
    if not values:
        return _empty(parts, height, empty)
    if maximum is not None:
        ticks: Sequence[float] = quarters(maximum)
    elif all(float(v).is_integer() for v in values):
        # A count: whole numbers on its axis, never 0.25 of a question.
        ticks = whole_ticks(max(values))
    else:
        ticks = quarters(_nice_maximum(max(values)))
    end = ticks[-1]
    plot_h, plot_w = height - top - bottom, WIDTH - left - right
    parts.append(_value_axis(ticks, end, top, plot_h, left, right, axis_suffix))
    slot = plot_w / len(bars)
    gap = min(slot * 0.2, 8.0)
    every = spacing([b.label for b in bars], slot, max(label_every, 1))
    for index, bar in enumerate(bars):
        x = left + index * slot
        if bar.value is not None:
            h = plot_h * min(max(bar.value, 0.0), end) / end
            parts.append(
                f'<rect class="chart-bar" x="{_num(x + gap / 2)}" y="{_num(top + plot_h - h)}"'
                f' width="{_num(slot - gap)}" height="{_num(h)}">'
                f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text class="chart-label" x="{_num(x + slot / 2)}" y="{height - bottom + 18}"'
                f' text-anchor="middle">{escape(bar.label)}</text>'
            )
    parts.append(_baseline(top + plot_h, left, right) + "</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def stacked_bar_chart(
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[str],
    stacks: Sequence[Stack],
    *,
    empty: str = "",
) -> Markup:
    """Vertical bars of `series` stacked bottom to top (classes chart-series-0, -1, ...), with
    a legend naming the series in that order, on an axis of whole numbers (they are counts).
    Each column is labelled below the axis (every n-th where labels would run together), with
    its `sub` on a line beneath."""
    height, top, bottom, left, right = 320, 40, 44, 48, 8
    parts = _open(chart_id, title, description, height, "stacked")
    for stack in stacks:
        if len(stack.values) != len(series):
            raise ValueError(f"{stack.label!r}: {len(stack.values)} values, {len(series)} series")
    totals = [sum(stack.values) for stack in stacks]
    if not stacks or not any(totals):
        return _empty(parts, height, empty)
    ticks = whole_ticks(max(totals))
    end = ticks[-1]
    plot_h, plot_w = height - top - bottom, WIDTH - left - right
    parts.append('<g class="chart-legend" aria-hidden="true">')
    legend_x = left
    for number, name in enumerate(series):
        parts.append(
            f'<rect class="chart-series-{number}" x="{legend_x}" y="6" width="14" height="14"/>'
            f'<text x="{legend_x + 20}" y="18">{escape(name)}</text>'
        )
        legend_x += 28 + 9 * len(name)
    parts.append("</g>")
    parts.append(_value_axis(ticks, end, top, plot_h, left, right))
    slot = plot_w / len(stacks)
    gap = min(slot * 0.25, 12.0)
    every = spacing([s.label for s in stacks], slot)
    for index, stack in enumerate(stacks):
        x = left + index * slot
        base = float(top + plot_h)
        for number, count in enumerate(stack.values):
            if count <= 0:
                continue
            h = plot_h * count / end
            base -= h
            parts.append(
                f'<rect class="chart-series-{number}" x="{_num(x + gap / 2)}" y="{_num(base)}"'
                f' width="{_num(slot - gap)}" height="{_num(h)}">'
                f"<title>{escape(stack.label)}, {escape(series[number])}: {count}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text class="chart-label" x="{_num(x + slot / 2)}" y="{height - bottom + 18}"'
                f' text-anchor="middle">{escape(stack.label)}</text>'
            )
        if stack.sub:
            parts.append(
                f'<text class="chart-label chart-sub" x="{_num(x + slot / 2)}"'
                f' y="{height - bottom + 36}" text-anchor="middle">{escape(stack.sub)}</text>'
            )
    parts.append(_baseline(top + plot_h, left, right) + "</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def horizontal_bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    empty: str = "",
) -> Markup:
    """One labelled row per bar, longest value the full width; the value is written at the
    end of its bar."""
    row, top, left, right = 30, 8, 250, 56
    height = top * 2 + row * max(len(bars), 1)
    parts = _open(chart_id, title, description, height, "horizontal")
    values = [b.value for b in bars if b.value is not None]
    if not values or not any(values):
        return _empty(parts, height, empty)
    end = max(values)
    plot_w = WIDTH - left - right
    for index, bar in enumerate(bars):
        y = top + index * row
        w = plot_w * max(bar.value or 0.0, 0.0) / end
        parts.append(
            f'<text class="chart-label" x="{left - 8}" y="{y + row / 2 + 5:g}"'
            f' text-anchor="end">{escape(_clip(bar.label))}</text>'
        )
        if bar.value:
            parts.append(
                f'<rect class="chart-bar" x="{left}" y="{y + 4}" width="{_num(w)}"'
                f' height="{row - 8}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            )
        parts.append(
            f'<text class="chart-value" x="{_num(left + w + 6)}" y="{y + row / 2 + 5:g}">'
            f"{escape(bar.text)}</text>"
        )
    parts.append(
        f'<line class="chart-baseline" x1="{left}" x2="{left}" y1="{top}"'
        f' y2="{height - top}"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def _clip(label: str, limit: int = 30) -> str:
    # Long unit names would run off the left edge; the table beside the chart has them whole.
    return label if len(label) <= limit else label[: limit - 1] + "…"

