"""The SVG charts: well-formed images named for assistive technology, bars in proportion to
their values, and every text escaped."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from bot.web.dashboard.charts import (
    CHAR_WIDTH,
    FONT_SIZE,
    Bar,
    Stack,
    bar_chart,
    horizontal_bar_chart,
    stacked_bar_chart,
    whole_ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: Markup) -> ET.Element:
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{SVG}svg"
    return root


def rects(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == css_class]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


CHARTS = [
    lambda: bar_chart("c-one", "Coverage", "Weekly share", [Bar("W1", 50, "50 %")], maximum=100),
    lambda: stacked_bar_chart("c-one", "Coverage", "Weekly share", ["a", "b"], [Stack("m", (1, 2))]),
    lambda: horizontal_bar_chart("c-one", "Coverage", "Weekly share", [Bar("x", 3)]),
]


@pytest.mark.parametrize("make", CHARTS)
def test_every_chart_is_an_image_named_by_its_title(make: object) -> None:
    assert callable(make)
    root = parse(make())
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-one-title"
    assert root.get("aria-describedby") == "c-one-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.get("id") == "c-one-title" and title.text == "Coverage"
    assert desc is not None and desc.get("id") == "c-one-desc" and desc.text == "Weekly share"
    # Sized by the page, not fixed: it shrinks with a narrow screen.
    assert root.get("viewBox") is not None and root.get("width") is None
    # Colours come from the stylesheet: inline styles are refused by the page's CSP.
    assert "style=" not in str(make())


def test_bar_heights_follow_the_values_against_the_maximum() -> None:
    svg = bar_chart(
        "coverage", "t", "d",
        [Bar("W1", 100, "100 %"), Bar("W2", 50, "50 %"), Bar("W3", None), Bar("W4", 0, "0 %")],
        maximum=100,
    )
    root = parse(svg)
    bars = rects(root, "chart-bar")
    # No bar where there is no value; a zero is a bar of no height.
    assert len(bars) == 3
    heights = [float(b.get("height", "")) for b in bars]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[2] == 0
    # The bottoms line up on the baseline.
    bottoms = {round(float(b.get("y", "")) + float(b.get("height", "")), 3) for b in bars}
    assert len(bottoms) == 1
    tips = [b.find(f"{SVG}title") for b in bars]
    assert [t.text for t in tips if t is not None] == ["W1: 100 %", "W2: 50 %", "W4: 0 %"]


def test_values_above_the_maximum_are_drawn_at_the_maximum() -> None:
    root = parse(bar_chart("c", "t", "d", [Bar("a", 150), Bar("b", 100)], maximum=100))
    first, second = (float(b.get("height", "")) for b in rects(root, "chart-bar"))
    assert first == second


def axis(root: ET.Element) -> list[str]:
    group = root.find(f"{SVG}g[@class='chart-axis']")
    assert group is not None
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def test_without_a_maximum_the_axis_ends_at_a_round_number() -> None:
    root = parse(bar_chart("c", "t", "d", [Bar("a", 7.5), Bar("b", 3)]))
    assert axis(root) == ["0", "2.5", "5", "7.5", "10"]


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [(1, ["0", "1"]), (3, ["0", "1", "2", "3"]), (7, ["0", "2", "4", "6", "8"]),
     (13, ["0", "5", "10", "15"]), (380, ["0", "100", "200", "300", "400"])],
)
def test_a_count_has_whole_numbers_on_its_axis(largest: int, ticks: list[str]) -> None:
    stacked = parse(stacked_bar_chart("c", "t", "d", ["a", "b"], [Stack("m", (largest, 0))]))
    assert axis(stacked) == ticks
    bars = parse(bar_chart("c", "t", "d", [Bar("a", largest), Bar("b", 0)]))
    assert axis(bars) == ticks


def test_whole_ticks_are_round_steps_up_to_the_largest() -> None:
    for largest in range(1, 5000):
        ticks = whole_ticks(largest)
        step = ticks[1]
        assert 2 <= len(ticks) <= 5 and ticks[0] == 0 and ticks[-1] >= largest
        assert ticks == [step * n for n in range(len(ticks))]
        assert int(str(step)[0]) in (1, 2, 5) and set(str(step)[1:]) <= {"0"}


def labelled(root: ET.Element) -> list[tuple[float, str]]:
    return [(float(t.get("x", "")), t.text or "") for t in root.iter(f"{SVG}text")
            if "chart-label" in (t.get("class") or "").split()]


@pytest.mark.parametrize("label", ["2027-03", "sep.", "September 2027"])
def test_column_labels_never_run_into_each_other(label: str) -> None:
    stacks = [Stack(label, (1, 0)) for _ in range(12)]
    root = parse(stacked_bar_chart("c", "t", "d", ["a", "b"], stacks))
    shown = labelled(root)
    assert shown and shown[0][0] < 100
    for (x, text), (next_x, _) in itertools.pairwise(shown):
        assert next_x - x >= len(text) * CHAR_WIDTH + 4, (text, x, next_x)
    weeks = parse(bar_chart("c", "t", "d", [Bar(label, 1) for _ in range(52)], label_every=4))
    shown = labelled(weeks)
    assert len(shown) <= 13
    for (x, text), (next_x, _) in itertools.pairwise(shown):
        assert next_x - x >= len(text) * CHAR_WIDTH + 4


def test_short_month_names_label_every_month_and_the_year_goes_beneath() -> None:
    months = ["jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.",
              "nov.", "dec."]
    stacks = [Stack(m, (1, 1), sub="2028" if m == "jan." else "") for m in months]
    root = parse(stacked_bar_chart("c", "t", "d", ["a", "b"], stacks))
    assert [text for _, text in labelled(root)] == ["jan.", "2028", *months[1:]]
    [year] = [t for t in root.iter(f"{SVG}text") if t.text == "2028"]
    [january] = [t for t in root.iter(f"{SVG}text") if t.text == "jan."]
    assert year.get("x") == january.get("x")
    assert float(year.get("y", "")) > float(january.get("y", "")) + FONT_SIZE


def test_only_every_nth_column_is_labelled() -> None:
    bars = [Bar(f"W{n}", n) for n in range(1, 13)]
    root = parse(bar_chart("c", "t", "d", bars, label_every=4))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == ["W1", "W5", "W9"]


def test_stacked_segments_add_up_to_the_column_total() -> None:
    series = ["On time", "Late", "Overdue"]
    svg = stacked_bar_chart("archiving", "t", "d", series,
                            [Stack("2027-01", (2, 1, 1)), Stack("2027-02", (4, 0, 0))])
    root = parse(svg)
    first = [float(r.get("height", "")) for r in root.iter(f"{SVG}rect")
             if (r.findtext(f"{SVG}title") or "").startswith("2027-01")]
    second = [float(r.get("height", "")) for r in root.iter(f"{SVG}rect")
              if (r.findtext(f"{SVG}title") or "").startswith("2027-02")]
    # Empty segments are left out; the two columns are equally tall (4 each).
    assert len(first) == 3 and len(second) == 1
    assert sum(first) == pytest.approx(second[0])
    assert first[0] == pytest.approx(2 * first[1])
    # The legend names the series in order, with the classes the segments use.
    legend = [t for t in texts(root) if t in series]
    assert legend == series
    assert {r.get("class") for r in rects(root, "chart-series-2")} == {"chart-series-2"}
    assert root.find(f".//{SVG}rect[@class='chart-series-2']/{SVG}title") is not None


def test_stacks_must_have_a_value_per_series() -> None:
    with pytest.raises(ValueError, match="2 values, 3 series"):
        stacked_bar_chart("c", "t", "d", ["a", "b", "c"], [Stack("m", (1, 2))])


def test_horizontal_bars_are_as_long_as_their_share_of_the_longest() -> None:
    root = parse(horizontal_bar_chart(
        "platforms", "t", "d", [Bar("Instagram", 4, "4"), Bar("X", 1, "1"), Bar("TikTok", 0, "0")]
    ))
    widths = [float(b.get("width", "")) for b in rects(root, "chart-bar")]
    assert len(widths) == 2
    assert widths[0] == pytest.approx(4 * widths[1])
    # Each value is written out, zeros too, not told by length alone.
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert values == ["4", "1", "0"]


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip() -> None:
    name = "Department of Clinical Neuroscience and Rehabilitation"
    root = parse(horizontal_bar_chart("units", "t", "d", [Bar(name, 2, "2")]))
    label = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label")
    assert label.text is not None and label.text.endswith("…") and len(label.text) == 30
    assert root.findtext(f".//{SVG}rect/{SVG}title") == f"{name}: 2"


@pytest.mark.parametrize(
    "svg",
    [
        lambda: bar_chart("c", "t", "d", [Bar("a", None)], empty="Nothing yet"),
        lambda: bar_chart("c", "t", "d", [], empty="Nothing yet"),
        lambda: stacked_bar_chart("c", "t", "d", ["a"], [Stack("m", (0,))], empty="Nothing yet"),
        lambda: horizontal_bar_chart("c", "t", "d", [], empty="Nothing yet"),
        lambda: horizontal_bar_chart("c", "t", "d", [Bar("a", 0)], empty="Nothing yet"),
    ],
)
def test_without_data_a_chart_says_so(svg: object) -> None:
    assert callable(svg)
    root = parse(svg())
    assert "Nothing yet" in texts(root)
    assert not [r for r in root.iter(f"{SVG}rect")]


def test_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & "quotes"'
    for svg in (
        bar_chart("c", evil, evil, [Bar(evil, 1, evil)]),
        stacked_bar_chart("c", evil, evil, [evil], [Stack(evil, (1,))]),
        horizontal_bar_chart("c", evil, evil, [Bar(evil, 1, evil)]),
    ):
        assert "<script>" not in svg
        root = parse(svg)  # still well-formed XML
        assert root.findtext(f"{SVG}title") == evil


@pytest.mark.parametrize("bad", ["", "Chart", "a b", 'x" onload="y', "9lives"])
def test_chart_ids_are_plain_tokens(bad: str) -> None:
    with pytest.raises(ValueError, match="chart id"):
        bar_chart(bad, "t", "d", [Bar("a", 1)])


def test_a_chart_without_data_is_a_short_image() -> None:
    full = parse(bar_chart("c", "t", "d", [Bar("a", 1)]))
    empty = parse(bar_chart("c", "t", "d", [], empty="Nothing yet"))
    assert view_height(empty) < view_height(full) / 3


def view_height(root: ET.Element) -> float:
    return float((root.get("viewBox") or "").split()[3])
