"""The review of parked messages pages as the worklist does: 50 a page, oldest first, a count line, links
to the other pages, and every action leads back to the page it was taken on."""

import re
from datetime import timedelta

import pytest

from smartapp.adt import matching, review
from smartapp.adt.models import PARKED, InboundMessage
from smartapp.adt.process import adt_process_pending
from smartapp.audit.models import AuditEvent
from tests.referrals import dashboard

from .hl7_messages import START, raw, store
from .test_matching import FakeEhr

pytestmark = pytest.mark.django_db

PAGE = "/referrals/adt-review/"


@pytest.fixture
def ehr(monkeypatch):
    fake = FakeEhr()  # answers no search: every message parks
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)
    monkeypatch.setattr(review, "sync_client", lambda config, max_pages: fake)
    return fake


def _parked(count: int) -> list[InboundMessage]:
    """`count` parked messages, received a minute apart (control ids PG-000 oldest, PG-001, ...): copies
    of one message parked by the processing, for the copies' processing is not what is tested here."""
    [message] = store(raw("A03", 0))
    adt_process_pending()
    message.refresh_from_db()
    assert message.status == PARKED
    columns = [f.attname for f in InboundMessage._meta.concrete_fields if not f.primary_key]
    fields = {name: getattr(message, name) for name in columns}
    # Created newest first, so the list's order comes from received_at, not from the primary key.
    copies = [
        InboundMessage(**{**fields, "control_id": f"PG-{n:03d}", "received_at": START + timedelta(minutes=n)})
        for n in reversed(range(count))
    ]
    message.delete()
    InboundMessage.objects.bulk_create(copies)
    return sorted(InboundMessage.objects.all(), key=lambda row: row.received_at)


def _control_ids(html: str) -> list[str]:
    return re.findall(r"control id (PG-\d{3})", html)


def _nav(html: str) -> str:
    found = re.search(r'<nav class="pages".*?</nav>', html, re.S)
    return found.group(0) if found else ""


def test_the_first_page_shows_the_fifty_oldest_and_leads_onward(client, ehr):
    _parked(120)
    dashboard.signed_in(client)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert _control_ids(html) == [f"PG-{n:03d}" for n in range(50)]
    assert "120 messages wait for review · page 1 of 3</p>" in html
    nav = _nav(html)
    assert '<a href="?page=2" rel="next">Next</a>' in nav and '<a href="?page=3">Last</a>' in nav
    assert "First" not in nav and "Previous" not in nav and "<span>Page 1 of 3</span>" in nav


def test_the_middle_page_leads_both_ways(client, ehr):
    _parked(120)
    dashboard.signed_in(client)
    html = client.get(PAGE, {"page": "2"}).content.decode()
    assert _control_ids(html) == [f"PG-{n:03d}" for n in range(50, 100)]
    nav = _nav(html)
    assert '<a href="?page=1">First</a>' in nav and '<a href="?page=1" rel="prev">Previous</a>' in nav
    assert '<a href="?page=3" rel="next">Next</a>' in nav and '<a href="?page=3">Last</a>' in nav


def test_the_last_page_shows_the_rest_and_leads_back_only(client, ehr):
    _parked(120)
    dashboard.signed_in(client)
    html = client.get(PAGE, {"page": "3"}).content.decode()
    assert _control_ids(html) == [f"PG-{n:03d}" for n in range(100, 120)]
    assert "120 messages wait for review · page 3 of 3</p>" in html
    nav = _nav(html)
    assert '<a href="?page=1">First</a>' in nav and '<a href="?page=2" rel="prev">Previous</a>' in nav
    assert "Next" not in nav and "Last" not in nav
    assert html.count('<input type="hidden" name="page" value="3">') == 20 * 3  # each row's three forms


@pytest.mark.parametrize(("asked", "shown"), [("abc", 1), ("999", 3), ("", 1)])
def test_a_page_that_is_none_gives_the_nearest_one(client, ehr, asked, shown):
    _parked(120)
    dashboard.signed_in(client)
    response = client.get(PAGE, {"page": asked})
    assert response.status_code == 200
    assert f"· page {shown} of 3</p>" in response.content.decode()
    assert len(_control_ids(response.content.decode())) == (50 if shown < 3 else 20)


def test_one_page_says_no_page_and_links_none(client, ehr):
    _parked(2)
    dashboard.signed_in(client)
    html = client.get(PAGE).content.decode()
    assert '<p class="worklist-meta">2 messages wait for review</p>' in html
    assert '<nav class="pages"' not in html


def test_one_message_is_spoken_of_in_the_singular(client, ehr):
    _parked(1)
    dashboard.signed_in(client)
    html = client.get(PAGE).content.decode()
    assert '<p class="worklist-meta">1 message waits for review</p>' in html


def test_the_view_is_audited_with_its_page_and_rows_only(client, ehr):
    _parked(120)
    dashboard.signed_in(client)
    client.get(PAGE, {"page": "3"})
    event = AuditEvent.objects.filter(action="adt.review", outcome="viewed").get()
    assert event.detail == {"page": 3, "rows": 20}


@pytest.mark.parametrize(
    ("posted", "location"),
    [
        ({"page": "2"}, f"{PAGE}?page=2"),
        ({"page": "1"}, PAGE),
        ({"page": "//evil.example"}, PAGE),
        ({"page": "2x"}, PAGE),
        ({"page": "https://evil.example/"}, PAGE),
        ({"page": "²"}, PAGE),  # a digit to str.isdigit, not a page number
        ({"page": "0"}, PAGE),
        ({"page": "1234567"}, PAGE),
        ({}, PAGE),
    ],
)
def test_match_again_leads_back_to_the_page_it_was_asked_on_and_nowhere_else(client, ehr, posted, location):
    [message, *_] = _parked(2)
    dashboard.signed_in(client)
    response = client.post(f"{PAGE}{message.pk}/match/", posted)
    assert response.status_code == 303 and response["Location"] == location


def test_a_link_leads_back_to_its_page(client, ehr):
    [message, *_] = _parked(2)
    ehr.answers = {"read": ["p-42"]}
    dashboard.signed_in(client)
    response = client.post(f"{PAGE}{message.pk}/link/", {"patient_id": "p-42", "page": "2"})
    assert response.status_code == 303 and response["Location"] == f"{PAGE}?page=2"


def test_a_refused_link_shows_again_the_page_it_was_asked_on(client, ehr):
    rows = _parked(120)
    on_page_two = rows[60]
    dashboard.signed_in(client)
    response = client.post(f"{PAGE}{on_page_two.pk}/link/", {"mrn": "SBX-404", "page": "2"})
    html = response.content.decode()
    assert response.status_code == 400 and "· page 2 of 3</p>" in html
    assert _control_ids(html) == [f"PG-{n:03d}" for n in range(50, 100)]
    assert f'id="refusal-{on_page_two.pk}">No patient at the EHR has that MRN.' in html
