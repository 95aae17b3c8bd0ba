"""The signed-in user's name ("Signed in as Dr Jane Smith"), from the EHR: the id_token's OpenID profile
claims, else the fhirUser's own resource when the granted scopes allow reading it; made safe to show,
bounded, kept when the EHR later names nobody, and never a reason for a launch to fail."""

import logging
from contextlib import contextmanager

import pytest
import requests
from django.contrib.auth import get_user_model

from smartapp.audit.models import AuditEvent
from smartapp.ehr.errors import EhrForbidden
from smartapp.launch import display_names
from smartapp.launch.display_names import display_name_fill, may_read_name, name_read
from smartapp.launch.identity import identity_for, shown_name
from smartapp.launch.models import Identity, Launch
from smartapp.sandbox.synthetic import catalog
from tests.ehr.auth_fakes import clean_cache, fake_ehr  # noqa: F401 (fixtures)
from tests.ehr.test_id_token import claims_for, ehr, sign, validate  # noqa: F401 (ehr: a fixture)
from tests.launch.conftest import CLINICIAN, ehr_launch

EHR = "https://ehr.example/fhir"
PRACTITIONER = {
    "resourceType": "Practitioner",
    "id": "pr-1",
    "name": [{"prefix": ["Dr"], "given": ["Jane"], "family": "Smith"}],
}


# --- from the id_token ------------------------------------------------------------------------------


def test_the_id_tokens_name_claim_names_the_user(ehr):  # noqa: F811
    claims = validate(ehr, sign(claims_for(ehr, name="Dr Jane Smith", given_name="Jane")))

    assert claims.name == "Dr Jane Smith"


def test_given_and_family_names_stand_in_for_a_missing_name_claim(ehr):  # noqa: F811
    claims = validate(ehr, sign(claims_for(ehr, name=" ", given_name="Jane", family_name="Smith")))

    assert claims.name == "Jane Smith"


def test_claims_that_are_not_strings_name_nobody(ehr):  # noqa: F811
    claims = validate(ehr, sign(claims_for(ehr, name=12345, given_name=["Jane"], family_name={"x": 1})))

    assert claims.name == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Dr Jane Smith", "Dr Jane Smith"),
        ("  Jane\x00\x1b \u202eSmith\n\t", "Jane Smith"),  # controls and a bidi override: gone
        ("Zoë O'Brien-Łukasz", "Zoë O'Brien-Łukasz"),
        ("李小龍", "李小龍"),
        ("J" * 5000, "J" * 200),
        ("12345", ""),  # no letter: not a name
        ("\ud800\ufffe", ""),
        ("", ""),
        (None, ""),
        (["Jane"], ""),
    ],
)
def test_a_name_is_made_safe_to_show_and_bounded(value, shown):
    assert shown_name(value) == shown


# --- kept on the Identity -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_later_launch_that_names_nobody_keeps_the_known_name_and_a_new_name_replaces_it():
    named = identity_for(
        issuer=EHR, sub="s-1", fhir_user="Practitioner/1", role="clinician", display_name="Jane"
    )
    unnamed = identity_for(issuer=EHR, sub="s-1", fhir_user="Practitioner/1", role="clinician")
    renamed = identity_for(
        issuer=EHR, sub="s-1", fhir_user="Practitioner/1", role="clinician", display_name="Jane Smith"
    )

    assert named.display_name == unnamed.display_name == "Jane"
    assert renamed.display_name == Identity.objects.get().display_name == "Jane Smith"


# --- from the fhirUser's resource ----------------------------------------------------------------------


class FakeClient:
    def __init__(self, answer):
        self.answer, self.reads = answer, []

    def read(self, resource_type, resource_id):
        self.reads.append(f"{resource_type}/{resource_id}")
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("fhir_user", "scope", "allowed"),
    [
        ("Practitioner/pr-1", "openid fhirUser user/Practitioner.rs", True),
        ("Practitioner/pr-1", "openid fhirUser user/Practitioner.read", True),  # v1 grammar
        ("Practitioner/pr-1", "openid fhirUser user/*.rs", True),
        ("Patient/p-1", "openid fhirUser patient/Patient.rs", True),
        ("RelatedPerson/rp-1", "openid fhirUser patient/RelatedPerson.rs", True),
        ("Practitioner/pr-1", "openid fhirUser patient/Practitioner.rs", False),  # not the patient's data
        ("Practitioner/pr-1", "openid fhirUser user/Patient.rs", False),
        ("Practitioner/pr-1", "openid fhirUser", False),
        ("Device/d-1", "openid fhirUser user/*.rs", False),  # not a person
    ],
)
def test_the_resource_is_read_only_when_the_granted_scopes_allow_it(fhir_user, scope, allowed):
    assert may_read_name(fhir_user=fhir_user, granted_scope=scope) is allowed


def test_the_name_on_the_fhir_users_resource_is_read():
    client = FakeClient(PRACTITIONER)

    assert name_read(client, fhir_user="Practitioner/pr-1") == "Dr Jane Smith"
    assert client.reads == ["Practitioner/pr-1"]


@pytest.mark.parametrize(
    "answer",
    [
        EhrForbidden(),
        {"resourceType": "Practitioner", "id": "pr-1"},
        {"resourceType": "Practitioner", "id": "pr-1", "name": "Jane"},  # not a HumanName list
        {"resourceType": "Practitioner", "id": "pr-1", "name": [{"given": ["\u202e\x00"]}]},
    ],
)
def test_a_resource_that_cannot_be_read_or_names_nobody_gives_no_name(answer):
    assert name_read(FakeClient(answer), fhir_user="Practitioner/pr-1") == ""


@pytest.fixture
def unnamed_launch(django_user_model):
    user = django_user_model.objects.create_user(username="ehr-unnamed")
    Identity.objects.create(user=user, issuer=EHR, sub="s-9", fhir_user="Practitioner/pr-1")
    return Launch.objects.create(
        user=user,
        config_name="sandbox",
        issuer=EHR,
        persona="coordinator",
        fhir_user="Practitioner/pr-1",
        scope="openid fhirUser user/Practitioner.rs",
    )


def _client_is(monkeypatch, client):
    @contextmanager
    def audited(request, launch):
        yield client

    monkeypatch.setattr(display_names, "audited_client", audited)


@pytest.mark.django_db
def test_an_unnamed_launch_and_its_identity_are_named_from_the_resource(monkeypatch, rf, unnamed_launch):
    _client_is(monkeypatch, FakeClient(PRACTITIONER))

    display_name_fill(rf.get("/callback/sandbox/"), unnamed_launch)

    assert Launch.objects.get(pk=unnamed_launch.pk).display_name == "Dr Jane Smith"
    assert Identity.objects.get(user=unnamed_launch.user).display_name == "Dr Jane Smith"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "reads"),
    [
        ({"display_name": "Jane"}, []),  # the id_token named them: nothing to read
        ({"scope": "openid fhirUser user/Patient.rs"}, []),  # not allowed to read a Practitioner
    ],
)
def test_nothing_is_read_when_the_name_is_known_or_may_not_be_read(
    monkeypatch, rf, unnamed_launch, changes, reads
):
    client = FakeClient(PRACTITIONER)
    _client_is(monkeypatch, client)
    Launch.objects.filter(pk=unnamed_launch.pk).update(**changes)

    display_name_fill(rf.get("/callback/sandbox/"), Launch.objects.get(pk=unnamed_launch.pk))

    assert client.reads == reads
    assert Identity.objects.get(user=unnamed_launch.user).display_name == ""


@pytest.mark.django_db
def test_a_failed_read_leaves_the_launch_unnamed_and_working(monkeypatch, rf, unnamed_launch):
    _client_is(monkeypatch, FakeClient(EhrForbidden()))

    display_name_fill(rf.get("/callback/sandbox/"), unnamed_launch)

    assert Launch.objects.get(pk=unnamed_launch.pk).display_name == ""


# --- end to end, with the sandbox (which sends the profile claims for the `profile` scope) -------------


def test_a_clinicians_launch_shows_the_name_the_ehr_gives_and_logs_and_audits_none_of_it(app_url, caplog):
    name = get_user_model().objects.get(username=catalog.username(CLINICIAN)).get_full_name()

    with caplog.at_level(logging.DEBUG), requests.Session() as browser:
        chart = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)

    assert name and "/chart/" in chart.url
    assert f'Signed in as </span><bdi>{name}</bdi></span><form method="post" action="/logout/"' in chart.text
    launch = Launch.objects.get(persona="clinician")
    assert launch.display_name == name == Identity.objects.get(user=launch.user).display_name
    assert not AuditEvent.objects.filter(action="fhir.read", resource_types="Practitioner").exists()
    assert name not in caplog.text
    assert not any(name in str(event.detail) for event in AuditEvent.objects.all())
