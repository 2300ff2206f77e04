"""The server-side SVG charts (insights/charts.py): accessible, escaped, same numbers as the table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from insights.charts import bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_a_bar_chart_is_an_image_with_a_title_a_description_and_its_table() -> None:
    chart = bar_chart("Rates", [("Containment", 42.9), ("<b>x</b>", 100.0)], unit="%", maximum=100)
    root = ET.fromstring(str(chart.svg))  # well-formed XML: labels are escaped
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("role") == "img" and root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Rates" and desc.text == "Containment: 42.9%; <b>x</b>: 100%"
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert abs(widths[0] / widths[1] - 0.429) < 0.01  # scaled to 100, not to the largest value
    assert chart.rows == [["Containment", "42.9%"], ["<b>x</b>", "100%"]]
    assert "style=" not in str(chart.svg) and "<script" not in str(chart.svg)


def test_a_line_chart_has_one_line_per_series_told_apart_by_dash_as_well_as_colour() -> None:
    chart = line_chart("Per day", ["2026-11-24", "2026-11-25"], {"Conversations": [5, 4], "Handed over": [2, 0]})
    root = ET.fromstring(str(chart.svg))
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2 and lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    assert chart.headers == ["Day", "Conversations", "Handed over"]
    assert chart.rows == [["2026-11-24", "5", "2"], ["2026-11-25", "4", "0"]]
    assert re.search(r"Conversations: 2026-11-24 5, 2026-11-25 4", root.find(f"{SVG}desc").text)


def test_no_data_still_makes_a_valid_chart() -> None:
    root = ET.fromstring(str(bar_chart("Empty", []).svg))
    assert root.find(f"{SVG}desc").text == "no data"
