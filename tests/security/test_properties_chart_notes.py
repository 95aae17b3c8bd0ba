"""Property tests (SECURITY.md 7.3 e) for the chart's FHIR-to-view functions that
tests/chart/test_properties.py (medications, allergies) does not cover: the banner, the notes list and
the note viewer's content.

- patient_banner and group_notes/note_row take arbitrary JSON spliced into real sandbox resources: they
  never raise, and every string they give a template is bounded;
- render_note takes any content type and any bytes: it never raises, and what it calls HTML has nothing
  that runs; sanitize_html over markup built from the dangerous tags, attributes and schemes keeps none.
"""

import dataclasses
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.chart.mappers import patient_banner
from smartapp.chart.note_content import HTML, PDF, TEXT, UNSUPPORTED, render_note, sanitize_html
from smartapp.chart.notes import group_notes, note_filter_choices
from tests.security.test_properties_referrals import json_values, spliced

FAST = settings(max_examples=100, deadline=None, database=None)
TODAY = date(2025, 6, 1)


@FAST
@given(data=st.data())
def test_the_banner_never_raises_and_is_bounded(data):
    resource = data.draw(spliced("Patient") | json_values)
    banner = patient_banner(resource if isinstance(resource, dict) else {}, today=TODAY)
    for field in dataclasses.fields(banner):
        value = getattr(banner, field.name)
        assert value is None or isinstance(value, int) or len(value) <= 200, field.name


def _strings(value):
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _strings(item)


@FAST
@given(data=st.data())
def test_the_notes_list_never_raises_and_is_bounded(data):
    documents = data.draw(st.lists(spliced("DocumentReference") | json_values, max_size=5))
    included = data.draw(st.lists(json_values, max_size=3))
    groups = group_notes(documents, included)
    note_filter_choices(groups)
    for group in groups:
        for row in group.rows:
            assert row.date is None or (isinstance(row.date, datetime) and row.date.tzinfo is not None)
            assert all(len(text) <= 2000 for text in _strings(row)), row.id


MEDIA_TYPES = [
    "text/html", "text/plain", "application/pdf", "application/xhtml+xml", "image/svg+xml",
    "text/html; charset=utf-7", "text/html; charset=rot13", "text/plain; charset=zlib", "", "x/y",
]  # fmt: skip


@FAST
@given(content_type=st.sampled_from(MEDIA_TYPES) | st.text(max_size=40), data=st.binary(max_size=300))
def test_render_note_never_raises_on_any_type_and_bytes(content_type, data):
    body = render_note(content_type, data)
    assert body.kind in (TEXT, HTML, PDF, UNSUPPORTED)
    assert body.kind != PDF or body.data.startswith(b"%PDF-")
    if body.kind == HTML:
        assert "<script" not in body.html.lower()


DANGEROUS = [
    "<script>alert(1)</script>", "<svg onload=alert(1)>", "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">', '<a href="JaVaScRiPt:alert(1)">', '<a href="&#106;avascript:x">',
    '<a href="data:text/html,x">', '<iframe src="x">', "<object data=x>", "<embed src=x>",
    '<meta http-equiv="refresh" content="0;url=x">', '<base href="http://127.0.0.2/">',
    '<link rel="stylesheet" href="x">', '<div style="background:url(x)">', "<style>*{}</style>",
    '<form action="x"><input name="y">', "<math><mi xlink:href=x>", '<a href="/relative">',
    "<template><script>x</script></template>", "<!--", "-->", "</", "<", ">", '"', "'", "=",
]  # fmt: skip
RUNNABLE = (
    "<script", "onload", "onerror", "javascript:", "<iframe", "<object", "<embed", "<meta", "<base",
    "<link", "style=", "<style", "<form", "<input", "<svg", "<math", "data:text", 'href="/',
)  # fmt: skip


@FAST
@given(parts=st.lists(st.sampled_from(DANGEROUS) | st.text(max_size=10), max_size=12))
def test_sanitized_html_keeps_nothing_that_runs_or_loads(parts):
    clean = sanitize_html("".join(parts)).lower()
    for runnable in RUNNABLE:
        assert runnable not in clean, runnable
