"""X-STAFF: the page parts drawn per row in Python (web/parts.py) write the markup the
templates' parts wrote, escape what they are given, and are what every template imports
from parts/badge.html and parts/table.html."""

from __future__ import annotations

import pytest
from flask import render_template_string
from markupsafe import Markup

from web import parts


@pytest.fixture
def app(live):
    return live.app


def test_X_STAFF_a_row_is_its_cells_with_the_first_as_the_row_header():
    cells = ((Markup("事项"), Markup('<a href="/tasks/1">初审</a>')), ("案件编号", "JY-1"), ("申请人", "张*三"))
    expected = "".join(["<tr>", parts.cell("事项", header=True, body=cells[0][1]), parts.cell("案件编号", body="JY-1"),
                        parts.cell("申请人", body="张*三"), "</tr>"])  # str.join: Markup's + would escape the tags
    assert str(parts.row(cells)) == expected
    assert parts.row(cells, kind="department-wait").startswith('<tr data-kind="department-wait"><th scope="row"')
    assert str(parts.cell("期限", body="x")) == '<td class="" data-label="期限">x</td>'


def test_X_STAFF_parts_escape_text_and_keep_markup():
    row = parts.row((("事项", '<script>alert("x")</script>'), ('a"b', Markup("<b>ok</b>"))))
    assert "<script>" not in row and "&lt;script&gt;" in row
    assert 'data-label="a&#34;b"' in row and "<b>ok</b>" in row
    assert parts.badge("<i>", "info", title='"t"') == (
        '<span class="badge badge--info" title="&#34;t&#34;">&lt;i&gt;</span>')
    assert parts.cell("L", class_="num", body="<x>") == '<td class="num" data-label="L">&lt;x&gt;</td>'


def test_X_STAFF_templates_import_the_python_parts(app):
    page = ('{% from "parts/badge.html" import badge, deadline_badge %}{% from "parts/table.html" import cell, row %}'
            '{{ badge("<i>", "warning") }}|{% call cell("期限", class="hash") %}<b>x</b>{% endcall %}|'
            '{{ row([("事项", "a")]) }}|{{ deadline_badge(None) }}')
    with app.test_request_context("/"):
        badge, call, row, none = render_template_string(page).split("|")
    assert badge == parts.badge("<i>", "warning")
    assert call == '<td class="hash" data-label="期限"><b>x</b></td>'  # the caller's markup is kept
    assert row == '<tr><th scope="row" class="" data-label="事项">a</th></tr>'
    assert none == '<span class="muted">无期限</span>'
