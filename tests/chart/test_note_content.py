import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.chart.note_content import (
    HTML,
    MAX_HTML_BYTES,
    PDF,
    TEXT,
    UNSUPPORTED,
    attachment_bytes,
    render_note,
    sanitize_html,
)


@pytest.fixture(scope="module")
def sandbox_resources():
    from smartapp.sandbox.synthetic import generate

    return generate(seed=1)


# Anything that could run code, style the page or make the browser fetch something.
DANGEROUS = re.compile(
    r"<script|<style|<iframe|<object|<embed|<svg|<math|<form|<input|<img|<link|<meta|<base|"
    r"\son\w+\s*=|style=|javascript:|vbscript:|data:|url\(|src=|background|srcset|formaction",
    re.IGNORECASE,
)


def html_of(markup: str) -> str:
    body = render_note("text/html", markup.encode("utf-8"))
    assert body.kind == HTML
    return body.html


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert('xss')</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<svg onload=alert(1)><circle r=1></circle></svg>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<iframe src="https://evil.example/"></iframe>',
        "<style>body { background: url(https://tracker.example/p.gif) }</style>",
        '<p style="background-image: url(https://tracker.example/p.gif)">styled</p>',
        '<table background="https://tracker.example/bg.gif"><tr><td>cell</td></tr></table>',
        '<object data="https://evil.example/x.swf"></object>',
        '<embed src="https://evil.example/x.swf">',
        '<form action="https://evil.example/"><input name="pw"><button formaction="x">Go</button></form>',
        '<img src="https://tracker.example/pixel.gif?note=1" width="1" height="1">',
        '<img srcset="https://tracker.example/a.png 1x">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<base href="https://evil.example/">',
        '<div onclick="alert(1)" onmouseover="alert(2)">hover</div>',
        "<p/onpointerenter=alert(1)>slash-separated attribute</p>",
        '<a href="javascript:alert(1)">chart</a>',
        '<a href="JaVaScRiPt:alert(1)">chart</a>',
        '<a href="jav&#x09;ascript:alert(1)">chart</a>',
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">chart</a>',
        '<a href="  javascript:alert(1)">chart</a>',
        '<a href="vbscript:msgbox(1)">chart</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">chart</a>',
        "<<script>script>alert(1)<</script>/script>",
        "<scr<script>ipt>alert(1)</script>",
        '<p title="</p><script>alert(1)</script>">quoted</p>',
        "<!--<script>alert(1)</script>-->",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
        "<template><script>alert(1)</script></template>",
    ],
)
def test_hostile_html_is_neutralized(markup):
    assert not DANGEROUS.search(html_of(markup))


def test_script_and_style_contents_are_removed_not_shown_as_text():
    cleaned = html_of("<script>alert('xss')</script><style>p{color:red}</style><p>Plan</p>")

    assert cleaned == "<p>Plan</p>"


def test_web_links_are_kept_with_a_rel_that_cuts_the_opener_and_referrer():
    cleaned = html_of('<a href="https://example.org/guideline?id=1" target="_blank">guideline</a>')

    assert cleaned == (
        '<a href="https://example.org/guideline?id=1" rel="noopener noreferrer nofollow">guideline</a>'
    )


@pytest.mark.parametrize("href", ["/admin/", "chart/", "//evil.example/x", "mailto:a@example.org", "ftp://x"])
def test_links_that_are_not_http_or_https_lose_their_target(href):
    assert "href" not in html_of(f'<a href="{href}">link</a>')


def test_benign_formatting_is_kept():
    markup = (
        "<h2>Assessment</h2><p><b>Stable</b> on <em>current</em> <u>regimen</u>.<br>Next visit soon.</p>"
        "<ul><li>one</li></ul><ol><li>two</li></ol><pre><code>eGFR 48</code></pre>"
        "<blockquote>quoted</blockquote><hr>"
        '<table><thead><tr><th scope="col">Test</th></tr></thead>'
        '<tbody><tr><td colspan="2">HbA1c</td></tr></tbody></table>'
    )

    assert html_of(markup) == markup


def test_styling_and_identity_attributes_are_stripped_but_the_text_stays():
    cleaned = html_of(
        '<div class="x" id="main" style="position:fixed"><span style="color:red">Plan</span></div>'
    )

    assert cleaned == "<div><span>Plan</span></div>"


def test_unknown_and_legacy_tags_are_unwrapped_keeping_their_text():
    assert html_of("<font color=red><center>Allergic to <blink>latex</blink></center></font>") == (
        "Allergic to latex"
    )


def test_malformed_nested_markup_is_closed_properly():
    # Parsed as a browser would (HTML5 reopens the unclosed formatting after the div), then serialized closed.
    assert html_of("<div><p><b>unclosed <i>nested</div>after") == (
        "<div><p><b>unclosed <i>nested</i></b></p></div><b><i>after</i></b>"
    )


def test_whole_html_documents_keep_only_their_body():
    document = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Consult</title>'
        '<link rel="stylesheet" href="https://cdn.example/x.css"></head><body><p>Findings</p></body></html>'
    )

    assert html_of(document) == "<p>Findings</p>"


def test_sandbox_hostile_note_renders_without_script_handler_javascript_link_or_remote_image(
    sandbox_resources,
):
    from smartapp.sandbox.synthetic.catalog import HOSTILE_HTML_NOTE_ID

    document = next(r for r in sandbox_resources if r.get("id") == HOSTILE_HTML_NOTE_ID)
    binary_id = document["content"][0]["attachment"]["url"].split("/")[-1]
    binary = next(r for r in sandbox_resources if r["resourceType"] == "Binary" and r["id"] == binary_id)

    body = render_note(binary["contentType"], attachment_bytes(binary))

    assert body.kind == HTML
    assert "sandbox-xss" not in body.html
    assert "tracker.example.com" not in body.html
    assert not DANGEROUS.search(body.html)
    assert "Open the full chart" in body.html  # the link text survives, its target does not
    assert "Assessment:" in body.html


def test_oversized_html_is_refused_with_a_clear_message():
    body = render_note("text/html", b"<p>" + b"x" * MAX_HTML_BYTES + b"</p>")

    assert body.kind == UNSUPPORTED
    assert "too large" in body.message
    assert body.html == ""


def test_html_in_a_declared_charset_is_decoded_before_sanitizing():
    body = render_note(
        "text/html; charset=windows-1252", "<p>Caf\u00e9 \u2013 r\u00e9sum\u00e9</p>".encode("cp1252")
    )

    assert body.html == "<p>Caf\u00e9 \u2013 r\u00e9sum\u00e9</p>"


def test_sanitize_html_escapes_text_that_looks_like_markup_when_decoded():
    assert sanitize_html("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;"


# Plain text


def test_plain_text_defaults_to_utf8():
    body = render_note("text/plain", "Blood pressure 120/80 \u2014 stable. \u00c5se".encode())

    assert body == render_note(
        "text/plain; charset=utf-8", "Blood pressure 120/80 \u2014 stable. \u00c5se".encode()
    )
    assert body.kind == TEXT
    assert body.text == "Blood pressure 120/80 \u2014 stable. \u00c5se"


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ('text/plain; charset="ISO-8859-1"', "caf\u00e9".encode("latin-1")),
        ("TEXT/PLAIN;CHARSET=Windows-1252", "caf\u00e9".encode("cp1252")),
        ("text/plain; format=flowed; charset=utf-16", "caf\u00e9".encode("utf-16")),
        ("text/plain", b"\xef\xbb\xbfcaf\xc3\xa9"),  # UTF-8 with a byte-order mark
    ],
)
def test_plain_text_is_decoded_with_its_charset(content_type, encoded):
    assert render_note(content_type, encoded).text == "caf\u00e9"


@pytest.mark.parametrize("charset", ["klingon", "base64", "rot13", "zlib", ""])
def test_unknown_or_non_text_charsets_fall_back_to_utf8(charset):
    assert render_note(f"text/plain; charset={charset}", "caf\u00e9".encode()).text == "caf\u00e9"


def test_undecodable_bytes_are_replaced_not_fatal():
    body = render_note("text/plain", b"dose \xff\xfe mg")

    assert body.kind == TEXT
    assert body.text == "dose \ufffd\ufffd mg"


def test_plain_text_is_returned_as_text_not_markup():
    body = render_note("text/plain", b"<script>alert(1)</script>")

    assert body.kind == TEXT
    assert body.html == ""  # the template escapes .text; it is never marked safe


# PDF


def test_pdf_bytes_are_returned_for_inline_display():
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

    body = render_note("application/pdf", pdf)

    assert body.kind == PDF
    assert body.data == pdf


@pytest.mark.parametrize("fake", [b"<html><script>alert(1)</script></html>", b"", b" %PDF-1.4", b"%PDF"])
def test_content_claiming_to_be_pdf_but_not_one_is_refused(fake):
    body = render_note("application/pdf", fake)

    assert body.kind == UNSUPPORTED
    assert body.message == "The note says it is a PDF but is not one."
    assert body.data == b""


def test_sandbox_pdf_note_is_sniffed_as_pdf(sandbox_resources):
    from smartapp.sandbox.synthetic.catalog import PDF_NOTE_ID

    binary_id = f"bin-{PDF_NOTE_ID.removeprefix('doc-')}"
    binary = next(r for r in sandbox_resources if r["resourceType"] == "Binary" and r["id"] == binary_id)

    assert render_note(binary["contentType"], attachment_bytes(binary)).kind == PDF


# Unsupported formats


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (
            "application/msword",
            "This note is a Word document, which smartapp cannot show. Download it to read it.",
        ),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "This note is a Word document, which smartapp cannot show. Download it to read it.",
        ),
        ("image/tiff", "This note is an image, which smartapp cannot show. Download it to read it."),
        (
            "application/x-vendor-note",
            "This note is in a format (application/x-vendor-note), which smartapp cannot show. "
            "Download it to read it.",
        ),
        (
            "",
            "The note does not say what format it is in, so smartapp cannot show it. Download it to read it.",
        ),
    ],
)
def test_unsupported_formats_say_so_in_a_plain_sentence(content_type, message):
    body = render_note(content_type, b"\xd0\xcf\x11\xe0")

    assert body.kind == UNSUPPORTED
    assert body.message == message


def test_unsupported_message_does_not_echo_markup_from_the_content_type():
    message = render_note('application/<script>alert("x")</script>', b"x").message

    assert "<" not in message and '"' not in message


@pytest.mark.parametrize(
    ("content_type", "data"), [(None, b"x"), (42, b"x"), ("text/plain", None), ("text/plain", "x")]
)
def test_wrong_types_give_an_unsupported_body_instead_of_raising(content_type, data):
    assert render_note(content_type, data).kind == UNSUPPORTED


def test_bytearray_content_is_accepted():
    assert render_note("text/plain", bytearray(b"ok")).text == "ok"


# Inline attachment data


def test_attachment_data_is_decoded_from_base64():
    assert (
        attachment_bytes({"contentType": "text/plain", "data": base64.b64encode(b"note").decode()}) == b"note"
    )


def test_attachment_data_wrapped_in_lines_is_decoded():
    encoded = base64.b64encode(b"a longer note body " * 10).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))

    assert attachment_bytes({"data": wrapped}) == b"a longer note body " * 10


@pytest.mark.parametrize(
    "attachment",
    [
        {"data": "not base64 at all!"},
        {"data": "abc"},  # bad padding
        {"data": ""},
        {"data": 12},
        {"url": "Binary/1"},
        {},
        None,
        "data",
        {"data": "A" * (40 * 1024 * 1024)},  # beyond the size bound
    ],
)
def test_bad_or_missing_attachment_data_gives_none(attachment):
    assert attachment_bytes(attachment) is None


# Properties


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' ab&#;:xscriptonlerjvaimgsvhf()\t\n")), max_size=300))
def test_sanitized_output_never_contains_active_content(markup):
    cleaned = sanitize_html(markup)

    # Text "<" comes out escaped, so every "<" left starts a real tag: look for danger inside tags only.
    assert not re.search(
        r"<(script|style|iframe|img|svg|object|embed)|<[^>]*(\son\w*\s*=|javascript:)", cleaned, re.I
    )
    assert len(cleaned) <= len(markup) * 8 + 64  # escaping grows text, but boundedly


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.none(), st.integers()), st.binary(max_size=300))
def test_render_note_never_raises_and_returns_a_known_kind(content_type, data):
    assert render_note(content_type, data).kind in (TEXT, HTML, PDF, UNSUPPORTED)
