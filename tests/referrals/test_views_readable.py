"""The coordinator's pages in words: people by name (their FHIR reference only as a small id), times in the
configured zone with its abbreviation, and outreach notes whose limit is said up front and never cut."""

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from django.test import override_settings

from smartapp.launch.models import Identity
from smartapp.referrals.forms import NOTE_MAX
from smartapp.referrals.models import OutreachNote

from . import dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    return dashboard.signed_in(client)


def _page(client, row) -> str:
    return client.get(f"/referrals/{row.pk}/").content.decode()


def _facts(html: str) -> dict[str, str]:
    """The facts list as {term: text}, tags removed."""
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html, re.S)
    return {term: " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split()) for term, text in pairs}


def test_requester_and_performer_are_named_with_the_reference_only_as_a_muted_id(client, coordinator):
    row = dashboard.referral(
        requester_display="Ada Heart, MD", performer_display="", performer_ref="Practitioner/pr-004"
    )
    html = _page(client, row)
    facts = _facts(html)

    assert facts["Requester"] == "Ada Heart, MD Practitioner/pcp-1"
    assert facts["Performer"] == "not named Practitioner/pr-004"
    assert '<bdi>Ada Heart, MD</bdi> <span class="muted">Practitioner/pcp-1</span>' in html
    assert re.search(r"<dd>\s*Practitioner/", html) is None  # a reference never stands in for a name


def test_the_facts_show_mrn_birth_date_phone_and_the_follow_up_rule(client, coordinator):
    row = dashboard.referral(
        patient_mrn="MRN-0077",
        patient_birth_date=date(1956, 5, 7),
        patient_phone="555-0101",
        follow_up_rule="discharge-heart-failure",
        authored_on=date(2026, 11, 20),
    )
    facts = _facts(_page(client, row))
    assert (facts["MRN"], facts["Date of birth"], facts["Phone"]) == ("MRN-0077", "7 May 1956", "555-0101")
    assert facts["Referred"] == "20 Nov 2026"
    assert facts["Follow-up rule"].startswith("Discharge with heart failure: a visit within 7 days")


@override_settings(REFERRAL_FOLLOW_UP_RULES={"discharge-heart-failure": {"due_days": 5}})
def test_the_follow_up_rule_reads_as_this_deployment_set_it(client, coordinator):
    row = dashboard.referral(follow_up_rule="discharge-heart-failure")
    assert "a visit within 5 days" in _facts(_page(client, row))["Follow-up rule"]


def test_missing_patient_details_say_so(client, coordinator):
    facts = _facts(_page(client, dashboard.referral(requester_ref="", requester_display="")))
    assert (facts["MRN"], facts["Date of birth"], facts["Phone"]) == ("not recorded",) * 3
    assert facts["Requester"] == "—"


def test_a_discharge_shows_its_encounter_status_as_the_ehr_has_it(client, coordinator):
    row = dashboard.referral(kind="discharge", fhir_ref="Encounter/enc-7", request_status="finished")
    assert "Encounter/enc-7, status finished" in _page(client, row)


def test_the_evidence_is_by_a_named_performer(client, coordinator):
    row = dashboard.referral()
    dashboard.evidence(row, performer_ref="Practitioner/pr-004", performer_display="Cy Kidney")
    dashboard.evidence(row, performer_ref="Practitioner/pr-005", performer_display="")
    html = _page(client, row)
    assert '<bdi>Cy Kidney</bdi> <span class="muted">Practitioner/pr-004</span>' in html
    assert 'not named</span> <span class="muted">Practitioner/pr-005</span>' in html


@override_settings(TIME_ZONE="America/New_York")
def test_times_are_shown_in_the_configured_zone_with_its_abbreviation(client, coordinator):
    row = dashboard.referral(due_date=date(2026, 12, 7))
    dashboard.evidence(row, date=datetime(2026, 12, 5, 19, 3, tzinfo=UTC))
    note = dashboard.outreach(row)
    OutreachNote.objects.filter(pk=note.pk).update(created_at=datetime(2026, 7, 1, 3, 30, tzinfo=UTC))

    html = _page(client, row)

    assert '<time datetime="2026-12-05T14:03:00-05:00"' in html and ">5 Dec 2026, 14:03 EST</time>" in html
    assert ">30 Jun 2026, 23:30 EDT</time>" in html  # the evening before, in New York
    assert _facts(html)["Due"] == "7 Dec 2026"  # a day is never shifted


def test_the_outreach_author_without_a_name_is_shown_as_a_labelled_reference(client, coordinator):
    Identity.objects.create(
        user=coordinator.user, issuer=dashboard.ISSUER, sub="s-1", fhir_user="Practitioner/pr-010"
    )
    row = dashboard.referral()
    dashboard.outreach(row, author=coordinator.user)
    dashboard.outreach(row, author=None)
    html = _page(client, row)
    assert "<bdi>EHR user Practitioner/pr-010</bdi>" in html and "<bdi>unknown</bdi>" in html


def test_the_outreach_author_and_the_signed_in_coordinator_are_named(client, coordinator):
    Identity.objects.create(
        user=coordinator.user,
        issuer=dashboard.ISSUER,
        sub="s-1",
        fhir_user=coordinator.fhir_user,
        display_name="Cora Ordinator",
    )
    coordinator.display_name = "Cora Ordinator"  # the launch keeps its identity's name
    coordinator.save()
    row = dashboard.referral()
    dashboard.outreach(row, author=coordinator.user)

    assert "<bdi>Cora Ordinator</bdi>" in _page(client, row)
    header = client.get("/referrals/").content.decode()
    assert "Signed in as <bdi>Cora Ordinator</bdi> (care coordinator)" in header
    assert "referrals from Sandbox EHR" in header  # the EHR's title, not the registration's name


def test_an_unnamed_coordinator_is_not_passed_off_by_reference(client, coordinator):
    header = client.get("/referrals/").content.decode()
    assert f"a care coordinator the EHR did not name (EHR user {coordinator.fhir_user})" in header


def test_the_form_states_the_limit_and_does_not_let_the_browser_cut_a_note(client, coordinator):
    html = _page(client, dashboard.referral())
    assert f"Note (up to {NOTE_MAX:,} characters)" in html and NOTE_MAX >= 2000
    textarea = re.search(r"<textarea[^>]*>", html).group(0)
    assert "maxlength" not in textarea and f'data-max-chars="{NOTE_MAX}"' in textarea
    assert 'src="/static/js/note-length.js"' in html


def test_a_note_of_1200_characters_is_kept_whole(client, coordinator):
    row = dashboard.referral()
    text = "word " * 239 + "last!"  # 1,200 characters
    client.post(f"/referrals/{row.pk}/outreach/", {"text": text, "idempotency_key": "k" * 32})
    assert OutreachNote.objects.get().text == text


def test_a_note_over_the_limit_is_refused_with_the_text_kept(client, coordinator):
    row = dashboard.referral()
    text = "Called twice; " + "x" * NOTE_MAX

    response = client.post(f"/referrals/{row.pk}/outreach/", {"text": text, "idempotency_key": "k" * 32})

    html = response.content.decode()
    assert response.status_code == 400 and not OutreachNote.objects.exists()
    assert f"This note is {len(text):,} characters long; a note may be up to {NOTE_MAX:,}." in html
    assert f">\n{text}</textarea>" in html  # every character is still in the form


def test_line_breaks_count_as_one_character_each(client, coordinator):
    row = dashboard.referral()
    typed = "\n".join(["a"] * (NOTE_MAX // 2))  # NOTE_MAX - 1 characters in the textarea
    sent = typed.replace("\n", "\r\n")  # what the browser sends: half as long again
    client.post(f"/referrals/{row.pk}/outreach/", {"text": sent, "idempotency_key": "k" * 32})
    assert OutreachNote.objects.get().text == typed
