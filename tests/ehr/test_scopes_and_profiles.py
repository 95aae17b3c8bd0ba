"""Vendor profiles: scopes in the grammar the server speaks, fhirUser as a reference on the same EHR."""

import pytest

from smartapp.ehr.discovery import SmartEndpoints
from smartapp.ehr.errors import LaunchRejected
from smartapp.ehr.profiles import PROFILES, VendorProfile, profile_for
from smartapp.ehr.scopes import to_v1
from tests.ehr.auth_fakes import make_config

ISS = "https://ehr.example.org/fhir/R4"


def endpoints(*capabilities: str) -> SmartEndpoints:
    return SmartEndpoints(
        issuer=ISS,
        authorization_endpoint=f"{ISS}/auth",
        token_endpoint=f"{ISS}/token",
        revocation_endpoint="",
        jwks_uri="",
        oidc_issuer=ISS,
        capabilities=frozenset(capabilities),
        code_challenge_methods=frozenset({"S256"}),
        scopes_supported=frozenset(),
    )


@pytest.mark.parametrize(
    ("v2", "v1"),
    [
        ("patient/Observation.rs", "patient/Observation.read"),
        ("patient/Observation.r", "patient/Observation.read"),
        ("user/Task.cud", "user/Task.write"),
        ("user/Task.cruds", "user/Task.*"),
        ("system/*.rs", "system/*.read"),
        ("patient/Observation.rs?category=laboratory", "patient/Observation.read"),
        ("patient/Observation.read", "patient/Observation.read"),
        ("launch/patient", "launch/patient"),
        ("openid", "openid"),
        ("patient/Observation.sr", "patient/Observation.sr"),  # not v2 (order matters): left alone
    ],
)
def test_v2_scopes_translate_to_v1(v2, v1):
    assert to_v1(v2) == v1


def test_a_v2_server_gets_the_configured_v2_scopes():
    config = make_config(ISS, scopes={"patient": "launch/patient openid patient/Patient.rs"})

    scope = profile_for(config).scopes(config, "patient", endpoints("permission-v2"))

    assert scope == "launch/patient openid patient/Patient.rs"


def test_a_server_without_permission_v2_gets_v1_scopes_deduplicated_in_order():
    config = make_config(ISS, scopes={"clinician": "openid patient/Patient.rs patient/Patient.r launch"})

    scope = profile_for(config).scopes(config, "clinician", endpoints("permission-v1"))

    assert scope == "openid patient/Patient.read launch"


def test_a_v1_registration_gets_v1_scopes_even_from_a_v2_server():
    config = make_config(ISS, scope_grammar="v1", scopes={"patient": "patient/Patient.rs"})

    assert profile_for(config).scopes(config, "patient", endpoints("permission-v2")) == "patient/Patient.read"


def test_a_persona_without_scopes_gets_none():
    config = make_config(ISS)
    assert profile_for(config).scopes(config, "backend", endpoints("permission-v2")) == ""


@pytest.mark.parametrize(
    ("claim", "reference"),
    [
        ("Practitioner/pr-1", "Practitioner/pr-1"),
        (f"{ISS}/Practitioner/123", "Practitioner/123"),
        ("https://EHR.example.org:443/fhir/R4/Patient/p.7", "Patient/p.7"),  # the same base, canonically
        (f"{ISS}/RelatedPerson/r1", "RelatedPerson/r1"),
        ("Person/x", "Person/x"),
    ],
)
def test_fhir_user_becomes_a_relative_reference(claim, reference):
    assert VendorProfile().fhir_user_reference(claim, ISS) == reference


@pytest.mark.parametrize(
    "claim",
    [
        "https://other.example.org/fhir/R4/Practitioner/123",
        "https://ehr.example.org/fhir/R4-evil/Practitioner/123",  # a prefix of the path is not the base
        "https://ehr.example.org/Practitioner/123",
        "http://ehr.example.org/fhir/R4/Practitioner/123",  # not TLS
    ],
)
def test_fhir_user_on_another_server_is_refused(claim):
    with pytest.raises(LaunchRejected) as refused:
        VendorProfile().fhir_user_reference(claim, ISS)
    assert refused.value.reason == "fhiruser_foreign"


@pytest.mark.parametrize("claim", ["Organization/o1", "Device/d1", "PractitionerRole/pr"])
def test_fhir_user_of_a_non_user_type_is_refused(claim):
    with pytest.raises(LaunchRejected) as refused:
        VendorProfile().fhir_user_reference(claim, ISS)
    assert refused.value.reason == "fhiruser_type"


@pytest.mark.parametrize(
    "claim", ["", "Practitioner", "Practitioner/../Patient/1", "Patient/..", f"{ISS}/Patient/1/_history/2"]
)
def test_a_malformed_fhir_user_is_refused(claim):
    with pytest.raises(LaunchRejected) as refused:
        VendorProfile().fhir_user_reference(claim, ISS)
    assert refused.value.reason == "fhiruser_invalid"


def test_every_vendor_has_a_profile_and_only_the_quirks_differ():
    assert set(PROFILES) == {"sandbox", "smart_launcher", "epic", "oracle", "athena", "meditech"}
    assert profile_for(make_config(ISS, vendor="oracle")).keeps_refresh_token_on_refresh
    assert not profile_for(make_config(ISS, vendor="epic")).keeps_refresh_token_on_refresh
    assert not profile_for(make_config(ISS, vendor="athena")).advertises_pkce
    assert profile_for(make_config(ISS, vendor="meditech")).advertises_pkce
    # Each quirk is read from the vendor's rule table (tests/ehr/test_vendor_rules.py checks them all).
    meditech = profile_for(make_config(ISS, vendor="meditech")).rules
    assert meditech.scope_grammar == "v1" and not meditech.client_credentials
    assert profile_for(make_config(ISS, vendor="oracle")).referral_category == ""
    assert profile_for(make_config(ISS)).referral_category == "http://snomed.info/sct|3457005"


@pytest.mark.parametrize(
    ("granted", "resource_type", "expected"),
    [
        ("launch openid patient/AllergyIntolerance.rs", "AllergyIntolerance", True),
        ("patient/AllergyIntolerance.read", "AllergyIntolerance", True),
        ("user/*.read", "DocumentReference", True),
        ("patient/*.rs?category=x", "Observation", True),
        ("patient/AllergyIntolerance.r", "AllergyIntolerance", False),  # read by id only, no search
        ("patient/AllergyIntolerance.cud", "AllergyIntolerance", False),
        ("patient/MedicationRequest.rs", "AllergyIntolerance", False),
        ("openid fhirUser", "Patient", False),
    ],
)
def test_can_read_reflects_the_granted_scopes(granted, resource_type, expected):
    from smartapp.ehr.scopes import can_read

    assert can_read(granted, resource_type) is expected
