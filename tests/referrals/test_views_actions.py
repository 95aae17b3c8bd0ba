"""The care team's actions over HTTP: POST only, CSRF-checked, for coordinators, scoped to their EHR
connections, answered with a 303 back to the list (filters kept) or the referral and a message, audited
once per action with pks and counts only."""

import pytest
from django.test import Client

from smartapp.audit.models import AuditEvent
from smartapp.referrals import views
from smartapp.referrals.action_forms import ACTIONS, MAX_IDS
from smartapp.referrals.models import Referral

from . import dashboard

pytestmark = pytest.mark.django_db
BULK = "/referrals/actions/"


@pytest.fixture
def coordinator(client):
    return dashboard.signed_in(client)


def _overdue(count: int = 2, **fields) -> list[Referral]:
    return [dashboard.referral(state="overdue", due_in_days=-1 - n, **fields) for n in range(count)]


def _message(response) -> str:
    """The message this response added (earlier ones wait, unread, for the next page)."""
    return str(list(response.wsgi_request._messages)[-1])


def test_closing_the_selected_rows_answers_303_to_the_list_with_its_filters_and_a_message(
    client, coordinator
):
    rows = _overdue(3)

    response = client.post(
        f"{BULK}?state=overdue&sort=-due&page=1",
        {"action": "close", "ids": [rows[0].pk, rows[1].pk], "reason": "declined"},
    )

    assert (
        response.status_code == 303 and response["Location"] == "/referrals/?page=1&sort=-due&state=overdue"
    )
    assert "no-store" in response["Cache-Control"]
    assert _message(response) == "2 referrals closed: patient declined."
    assert set(Referral.objects.exclude(closed_reason="").values_list("pk", flat=True)) == {
        rows[0].pk,
        rows[1].pk,
    }
    left = client.get(response["Location"])
    assert [row.pk for row in left.context["rows"]] == [rows[2].pk]
    assert "2 referrals closed: patient declined." in left.content.decode()


def test_the_same_action_sent_again_changes_nothing_and_still_answers_303(client, coordinator):
    row = _overdue(1)[0]
    data = {"action": "close", "ids": [row.pk], "reason": "other", "note": "Moved to another state"}

    first = client.post(BULK, data)
    closed_at = Referral.objects.get(pk=row.pk).closed_at
    again = client.post(BULK, data)

    assert (first.status_code, again.status_code) == (303, 303)
    assert Referral.objects.get(pk=row.pk).closed_at == closed_at
    assert _message(again) == "1 referral was left as it was."
    events = AuditEvent.objects.filter(action="referrals.close").order_by("seq")
    assert [e.outcome for e in events] == ["changed", "unchanged"]


def test_an_action_is_audited_once_with_pks_and_counts_and_no_names_or_note(client, coordinator):
    rows = _overdue(2, patient_display="Zelda Quill", patient_mrn="MRN-4411")

    client.post(
        BULK, {"action": "close", "ids": [r.pk for r in rows], "reason": "other", "note": "Daughter says"}
    )

    event = AuditEvent.objects.get(action="referrals.close")
    assert event.detail == {
        "reason": "other",
        "with_note": True,
        "referrals": sorted(r.pk for r in rows),
        "requested": 2,
        "changed": 2,
    }
    assert event.launch_id == str(coordinator.pk) and event.fhir_user == coordinator.fhir_user
    recorded = repr(list(AuditEvent.objects.values()))
    assert "Zelda" not in recorded and "MRN-4411" not in recorded and "Daughter" not in recorded


def test_the_csrf_token_is_required(coordinator):
    browser = Client(enforce_csrf_checks=True)
    dashboard.add_launch(browser, coordinator.user, coordinator)
    row = _overdue(1)[0]

    refused = browser.post(BULK, {"action": "close", "ids": [row.pk], "reason": "declined"})
    one = browser.post(f"/referrals/{row.pk}/actions/", {"action": "assign_me"})

    assert (refused.status_code, one.status_code) == (403, 403)
    assert (
        Referral.objects.get(pk=row.pk).closed_reason == "" and Referral.objects.get(pk=row.pk).owner is None
    )
    page = browser.get("/referrals/")
    token = page.cookies["csrftoken"].value
    sent = browser.post(BULK, {"action": "assign_me", "ids": [row.pk], "csrfmiddlewaretoken": token})
    assert sent.status_code == 303 and Referral.objects.get(pk=row.pk).owner_id == coordinator.user_id


@pytest.mark.parametrize("url", [BULK, "/referrals/{pk}/actions/"])
def test_only_post_is_answered(client, coordinator, url):
    row = _overdue(1)[0]
    assert client.get(url.format(pk=row.pk), {"action": "reopen"}).status_code == 405


@pytest.mark.parametrize("who", ["anonymous", "clinician", "patient"])
@pytest.mark.parametrize("url", [BULK, "/referrals/{pk}/actions/"])
def test_anyone_but_a_coordinator_is_refused_and_audited(client, who, url):
    row = _overdue(1)[0]
    if who != "anonymous":
        dashboard.signed_in(client, persona=who, patient_id="p-1")

    response = client.post(url.format(pk=row.pk), {"action": "close", "ids": [row.pk], "reason": "declined"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", outcome="not_coordinator").count() == 1
    assert Referral.objects.get(pk=row.pk).closed_reason == ""


def test_rows_of_another_ehr_are_left_alone_and_the_attempt_audited(client, coordinator):
    mine, theirs = _overdue(1)[0], _overdue(1, connection="epic")[0]

    response = client.post(
        BULK, {"action": "snooze", "ids": [mine.pk, theirs.pk], "snooze_until": dashboard.day(7)}
    )

    assert response.status_code == 303
    assert Referral.objects.get(pk=theirs.pk).snoozed_until is None
    assert Referral.objects.get(pk=mine.pk).snoozed_until == dashboard.day(7)
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.outcome, denied.detail) == ("referral_not_found", {"referrals": [theirs.pk]})
    assert "1 referral could not be found." in _message(response)


def test_one_referral_of_another_ehr_is_not_found_from_its_page(client, coordinator):
    theirs = _overdue(1, connection="epic")[0]

    response = client.post(f"/referrals/{theirs.pk}/actions/", {"action": "close", "reason": "declined"})

    assert response.status_code == 404
    assert AuditEvent.objects.get(action="access.denied").detail == {"referral": theirs.pk}
    assert Referral.objects.get(pk=theirs.pk).closed_reason == ""


def test_a_full_page_selected_fits_in_one_request_and_more_is_refused_with_a_message(
    client, coordinator, settings
):
    rows = _overdue(views.PAGE_SIZE)
    every_field = {
        "action": "assign_me",
        "owner": "",
        "next_action_on": "",
        "snooze_until": "",
        "reason": "",
        "note": "",
    }
    fields = len(every_field) + 1 + views.PAGE_SIZE  # and the CSRF token
    assert MAX_IDS >= views.PAGE_SIZE and fields <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    page = client.post(BULK, {**every_field, "ids": [r.pk for r in rows]})
    too_many = client.post(BULK, {"action": "unassign", "ids": [r.pk for r in rows] + [10_000]})

    assert _message(page) == f"{views.PAGE_SIZE} referrals assigned to you."
    assert too_many.status_code == 303
    assert (
        _message(too_many) == f"Select at most {MAX_IDS} referrals at a time ({MAX_IDS + 1} were selected)."
    )
    assert Referral.objects.filter(owner=coordinator.user).count() == views.PAGE_SIZE
    assert AuditEvent.objects.filter(action="referrals.assign").count() == 1


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"action": "close", "reason": "other", "note": " "}, "Say why when the reason is Other."),
        ({"action": "close", "reason": "before_tracking"}, "Choose one of the reasons listed."),
        ({"action": "snooze", "snooze_until": "today"}, "Enter a valid date."),
        ({"action": "snooze"}, "Choose the snooze date."),
        ({"action": "assign"}, "Choose the coordinator to assign to."),
        ({"action": "drop table"}, "Select a valid choice."),
        ({"action": "assign_me", "ids": ["1e3"]}, "The selection was not understood."),
    ],
)
def test_an_incomplete_action_changes_nothing_and_says_why(client, coordinator, data, says):
    row = _overdue(1)[0]

    response = client.post(BULK, {"ids": [row.pk], **data})

    assert response.status_code == 303 and response["Location"] == "/referrals/"
    assert says in _message(response)
    assert Referral.objects.filter(pk=row.pk, closed_reason="", snoozed_until=None, owner=None).exists()


@pytest.mark.parametrize("days", [0, 366])
def test_a_snooze_must_end_after_today_and_within_a_year(client, coordinator, days):
    row = _overdue(1)[0]
    response = client.post(BULK, {"action": "snooze", "ids": [row.pk], "snooze_until": dashboard.day(days)})
    assert "Choose a snooze date from" in _message(response)
    assert Referral.objects.get(pk=row.pk).snoozed_until is None


def test_nothing_selected_is_said_so(client, coordinator):
    response = client.post(BULK, {"action": "assign_me"})
    assert response.status_code == 303 and _message(response) == "Select one or more referrals first."


def test_the_redirect_is_rebuilt_from_valid_filters_only(client, coordinator):
    row = _overdue(1)[0]
    query = "?state=overdue&next=https://evil.example/&owner=mine&page=../../x&specialty=394579002"

    response = client.post(BULK + query, {"action": "assign_me", "ids": [row.pk]})

    assert response["Location"] == "/referrals/?owner=mine&specialty=394579002&state=overdue"


def test_a_coordinator_can_assign_to_a_colleague_of_the_same_ehr_only(client, coordinator):
    row = _overdue(1)[0]
    colleague, stranger = dashboard.colleague(connection="sandbox"), dashboard.colleague(connection="epic")

    refused = client.post(BULK, {"action": "assign", "owner": stranger.pk, "ids": [row.pk]})
    assert _message(refused) == "Choose a coordinator who signs in on this EHR."
    assert Referral.objects.get(pk=row.pk).owner is None

    given = client.post(BULK, {"action": "assign", "owner": colleague.pk, "ids": [row.pk]})
    assert Referral.objects.get(pk=row.pk).owner_id == colleague.pk
    assert _message(given).startswith("1 referral assigned to EHR user Practitioner/co-")


def test_the_referral_page_acts_on_its_referral_and_shows_who_closed_it(client, coordinator):
    row = _overdue(1)[0]
    dashboard.identity(coordinator.user, fhir_user="Practitioner/pr-me", name="Cora Ordinator")
    url = f"/referrals/{row.pk}/actions/"

    assigned = client.post(url, {"action": "assign_me"})
    scheduled = client.post(url, {"action": "next_action", "next_action_on": dashboard.day(2)})
    closed = client.post(url, {"action": "close", "reason": "care_elsewhere", "note": "Sees a cardiologist"})

    assert [r.status_code for r in (assigned, scheduled, closed)] == [303, 303, 303]
    assert closed["Location"] == f"/referrals/{row.pk}/#work"
    page = client.get(closed["Location"])
    work, html = page.context["work"], page.content.decode()
    assert (work.status, work.closed_label, work.owner_id) == (
        "closed",
        "Care elsewhere",
        coordinator.user_id,
    )
    assert work.next_action_on == dashboard.day(2)
    assert "Closed: Care elsewhere" in html and "Sees a cardiologist" in html and ">Reopen</button>" in html
    assert "1 referral closed: care elsewhere." in html
    event = AuditEvent.objects.get(action="referrals.close")
    assert event.patient_ref == row.patient_ref.partition("/")[2] and "cardiologist" not in repr(event.detail)

    reopened = client.post(url, {"action": "reopen"})
    assert _message(reopened) == "1 referral reopened."
    assert client.get(f"/referrals/{row.pk}/").context["work"].status == "open"


def test_a_snoozed_item_leaves_the_open_list_and_shows_under_snoozed(client, coordinator):
    snoozed, kept = _overdue(2)

    client.post(BULK, {"action": "snooze", "ids": [snoozed.pk], "snooze_until": dashboard.day(30)})

    assert [r.pk for r in client.get("/referrals/").context["rows"]] == [kept.pk]
    shown = client.get("/referrals/?show=snoozed").context["rows"]
    assert [(r.pk, r.snoozed) for r in shown] == [(snoozed.pk, True)]


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_of_the_form_is_carried_out_and_audited(client, coordinator, action):
    colleague = dashboard.colleague()
    row = _overdue(1, owner=colleague, next_action_on=dashboard.day(1), snoozed_until=dashboard.day(2))
    data = {
        "action": action,
        "ids": [row[0].pk],
        "owner": coordinator.user_id,
        "next_action_on": dashboard.day(5),
        "snooze_until": dashboard.day(9),
        "reason": "deceased",
    }

    response = client.post(BULK, data)

    assert response.status_code == 303 and _message(response).startswith("1 referral ")
    assert "left as it was" not in _message(response)
    event = AuditEvent.objects.exclude(action="referrals.worklist").get()
    assert event.action.startswith("referrals.") and event.outcome == "changed"
