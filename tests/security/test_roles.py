"""Roles (issue 6 point 2; SECURITY.md 4 (a)(1)): every app URL declares who may open it, the declaration is
enforced, and it says what the view's own check says.

- the URL inventory: every pattern outside the sandbox and Django's admin has a role marker;
- the default deny: a view without one is refused at run time (403, audited);
- the matrix: anonymous, clinician, patient, coordinator and admin against every marked URL over a live
  server, allowed exactly when the role is in the marker; once as shipped, and once with the markers'
  gate switched off, so that the views' own checks (launch_for, coordinator_for, auditor_required) are
  shown to agree with the markers.
"""

import re
import secrets

import pytest
import requests
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpResponse
from django.test import Client
from django.urls import URLResolver, get_resolver, path

from smartapp.audit.models import AuditEvent
from smartapp.core import roles
from smartapp.core.roles import PUBLIC, ROLES, public, register_role_check, required_roles, requires_role
from smartapp.launch.models import Launch
from smartapp.referrals import tasks
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import COORDINATOR, ehr_launch, launch_id_of, sandbox_sign_in, standalone_launch
from tests.referrals import dashboard

OUTSIDE = ("admin/", "sandbox/")  # Django's admin (its own staff sign-in) and the built-in EHR
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")  # as tests/security/test_headers.py fills patterns
EXPECTED_NAMES = {
    "healthz", "home", "launch-ehr", "launch-standalone", "launch-callback", "logout", "app-jwks", "chart",
    "chart-print", "me", "note", "note-content", "referrals", "referrals-export", "referral-detail",
    "referral-outreach", "referrals-track", "audit-events", "audit-export-csv", "audit-export-json",
}  # fmt: skip


def url_patterns(patterns=None, prefix=""):
    """(route, name, view) of every URL pattern, regex ones included, outside the sandbox and the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(OUTSIDE):
            continue
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, route)
        else:
            yield route, pattern.name, pattern.callback


def unmarked(patterns=None) -> list[str]:
    return [route for route, _, view in url_patterns(patterns) if required_roles(view) is None]


# --- the inventory and the marker -------------------------------------------------------------------


def test_every_app_url_declares_its_roles():
    assert unmarked() == []


def test_the_inventory_sees_every_app_url_and_only_known_roles():
    found = {name: required_roles(view) for _, name, view in url_patterns()}
    assert set(found) >= EXPECTED_NAMES  # guards the test above against walking nothing
    for name, marked in found.items():
        assert marked and marked <= {*ROLES, PUBLIC}, name
        assert PUBLIC not in marked or marked == {PUBLIC}, name


def test_the_inventory_would_catch_an_unmarked_view():
    def forgotten(request):
        return HttpResponse("patient data")

    assert unmarked([path("forgotten/", forgotten)]) == ["forgotten/"]


def test_the_pages_with_patient_data_are_never_public():
    found = {name: required_roles(view) for _, name, view in url_patterns()}
    assert found["chart"] == found["chart-print"] == found["referrals-track"] == {"clinician"}
    assert found["me"] == {"patient"}
    assert found["note"] == found["note-content"] == {"clinician", "patient"}
    assert all(
        found[name] == {"coordinator"}
        for name in found
        if name.startswith("referral") and "track" not in name
    )
    assert all(found[name] == {"admin"} for name in found if name.startswith("audit"))


def test_a_marker_names_known_roles_only():
    with pytest.raises(ImproperlyConfigured):
        requires_role("superuser")
    with pytest.raises(ImproperlyConfigured):
        requires_role()


def test_a_role_without_a_check_fails_loudly_instead_of_letting_in(monkeypatch, rf):
    monkeypatch.setattr(roles, "_CHECKS", {})
    view = requires_role("clinician")(lambda request: HttpResponse("chart"))
    with pytest.raises(ImproperlyConfigured):
        view(rf.get("/"))


def test_roles_sharing_a_check_are_asked_once_and_any_check_lets_in(monkeypatch, rf):
    asked = []

    def refuse(request, covered, kwargs):
        asked.append(("refuse", covered))
        raise PermissionDenied

    def allow(request, covered, kwargs):
        asked.append(("allow", covered))

    monkeypatch.setattr(roles, "_CHECKS", {})
    register_role_check(("clinician", "patient"), refuse)
    register_role_check(("admin",), allow)
    view = requires_role("clinician", "patient", "admin")(lambda request: HttpResponse("ok"))
    assert view(rf.get("/")).status_code == 200
    assert asked == [("refuse", ("clinician", "patient")), ("allow", ("admin",))]

    with pytest.raises(PermissionDenied):
        requires_role("patient")(lambda request: HttpResponse("no"))(rf.get("/"))


# --- the default deny at run time -----------------------------------------------------------------------


def _forgotten_view(request):
    return HttpResponse("patient data")


_forgotten_view.__module__ = "smartapp.chart.views"  # an app view, as the middleware judges views

urlpatterns = [
    path("forgotten/", _forgotten_view),
    path("marked/", public(lambda request: HttpResponse("ok"))),
]


@pytest.mark.urls(__name__)
def test_an_app_view_that_declares_no_role_is_refused_and_audited(client, db):
    response = client.get("/forgotten/")
    assert response.status_code == 403
    assert b"patient data" not in response.content
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.outcome, denied.detail) == (
        "no_role_declared",
        {"view": "smartapp.chart.views._forgotten_view"},
    )
    assert client.get("/marked/").status_code == 200


# --- the groups -----------------------------------------------------------------------------------------


def test_the_four_role_groups_exist_with_their_permissions(db):
    def perms(name):
        return set(
            Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename")
        )

    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    assert perms("admin") == {("audit", "view_auditevent")}
    assert perms("coordinator") == {
        ("referrals", "view_referral"),
        ("referrals", "view_evidence"),
        ("referrals", "view_outreachnote"),
        ("referrals", "add_outreachnote"),
    }
    assert perms("clinician") == perms("patient") == set()
    assert Permission.objects.filter(codename="view_auditevent").count() == 1


# --- the matrix ----------------------------------------------------------------------------------------

POST_ONLY = {
    "launch-standalone",
    "logout",
    "referral-outreach",
    "referrals-track",
    "referrals-sync-now",
    "keep-alive",
    "referrals-actions",
    "referral-actions",
    "adt-review-match",
    "adt-review-link",
}
LAST = "logout"  # it ends the role's session
# A public page answering a request it cannot serve is not a refusal of the role: the callback without a
# sign-in in progress says so (400 "state_missing") to everyone; the idle warning's keep-alive answers 401
# "signed out" to a browser with no app session (the anonymous one).
ALLOWED_STATUSES = {
    "launch-callback": {400},
    "keep-alive": {401},
    # The matrix posts to ADT message 1, which does not exist: the coordinator's answer is 404, not 403.
    "adt-review-match": {404},
    "adt-review-link": {404},
}
ROLE_NAMES = ("anonymous", "clinician", "patient", "coordinator", "admin")


def _admin_session(app_url, django_user_model, settings) -> requests.Session:
    """A staff member in the admin group, signed in through Django's session (as after an admin sign-in)."""
    user = django_user_model.objects.create_user(username="auditor", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


@pytest.fixture
def roles_signed_in(browser, app_url, django_user_model, settings, monkeypatch):
    """role -> (browser session, URL values). Everyone's notes are the notes scenario patient's."""
    monkeypatch.setattr(tasks.sync_request, "apply_async", lambda args, task_id: None)  # no broker here
    patient_id = catalog.NOTES_SCENARIO_PATIENT_ID
    clinician = launch_id_of(ehr_launch(browser, app_url, patient_id))
    patient, coordinator, anonymous = requests.Session(), requests.Session(), requests.Session()
    sandbox_sign_in(patient, app_url, f"Patient/{patient_id}")
    me = launch_id_of(standalone_launch(patient, app_url, "patient"))
    sandbox_sign_in(coordinator, app_url, f"Practitioner/{COORDINATOR}")
    assert standalone_launch(coordinator, app_url, "coordinator").status_code == 200
    own = {
        "config_name": "sandbox",
        "document_id": catalog.NOTE_IDS["plain-text"],
        "pk": str(dashboard.referral(connection="sandbox").pk),
        "launch_id": clinician,  # for those without a launch of their own: someone else's
    }
    admin = _admin_session(app_url, django_user_model, settings)
    sessions = {
        "anonymous": (anonymous, own),
        "clinician": (browser, own),
        "patient": (patient, {**own, "launch_id": me}),
        "coordinator": (coordinator, {**own, "launch_id": _coordinator_launch()}),
        "admin": (admin, own),
    }
    for session, _ in sessions.values():
        session.get(f"{app_url}/")  # a CSRF cookie for the POSTs
    yield sessions
    for session in (patient, coordinator, anonymous, admin):
        session.close()


def _coordinator_launch() -> str:
    return str(Launch.objects.filter(persona="coordinator").latest("created_at").pk)


def _request(session, app_url, fhir_base, route, name, values):
    url = f"{app_url}/{_PARAM.sub(lambda m: values[m.group(1)], route)}"
    if name == "launch-ehr":
        url += f"?iss={fhir_base}&launch=matrix"
    if name not in POST_ONLY:
        return session.get(url, allow_redirects=False)
    data = {"as": "patient"} if name == "launch-standalone" else {}
    if name == "referral-outreach":
        data = {"text": "Called, left a message.", "idempotency_key": secrets.token_urlsafe(24)}
    token = session.cookies.get("csrftoken", "")
    return session.post(url, data=data, headers={"X-CSRFToken": token}, allow_redirects=False)


def _allowed(name: str, status: int) -> bool:
    return status < 400 or status in ALLOWED_STATUSES.get(name, set())


@pytest.mark.parametrize("gate", ["markers enforced", "views' own checks only"])
def test_each_role_gets_exactly_the_urls_its_marker_names(
    roles_signed_in, app_url, fhir_base, monkeypatch, gate
):
    if gate == "views' own checks only":
        monkeypatch.setattr(roles, "role_check", lambda request, roles, kwargs: None)
    patterns = sorted(url_patterns(), key=lambda p: p[1] == LAST)
    wrong = []
    for role in ROLE_NAMES:
        session, values = roles_signed_in[role]
        for route, name, view in patterns:
            marker = required_roles(view)
            expect = PUBLIC in marker or role in marker
            denied_before = AuditEvent.objects.filter(action="access.denied").count()
            status = _request(session, app_url, fhir_base, route, name, values).status_code
            audited = AuditEvent.objects.filter(action="access.denied").count() > denied_before
            if expect != _allowed(name, status) or not (expect or status in (403, 404)):
                wrong.append((role, name, status))
            elif status == 403 and not audited:
                wrong.append((role, name, "403 without an access.denied event"))
    assert wrong == []
