"""Audit events as FHIR R4 AuditEvent resources (IHE BALP patterns), parsed by fhirclient's own model."""

from datetime import UTC, datetime

import pytest
from fhirclient.models.auditevent import AuditEvent as FhirAuditEvent

from smartapp.audit.fhir import DCM, as_fhir_audit_event
from smartapp.audit.models import AuditEvent

ISSUER = "https://ehr.example/fhir"


def _event(**values) -> AuditEvent:
    defaults = {
        "seq": 42,
        "ts": datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC),
        "action": "fhir.read",
        "outcome": "200",
        "user_id": 7,
        "fhir_user": "Practitioner/pr1",
        "issuer": ISSUER,
        "launch_id": "5f0c",
        "patient_ref": "p1",
        "resource_types": "AllergyIntolerance,MedicationRequest",
        "ip": "10.0.0.8",
        "user_agent": "Mozilla/5.0",
        "key_id": 0,
    }
    return AuditEvent(**{**defaults, **values})


def _codes(codings) -> set[tuple[str, str]]:
    return {(coding["system"], coding["code"]) for coding in codings}


def test_a_fhir_read_is_a_rest_read_by_the_practitioner_about_the_patient():
    resource = as_fhir_audit_event(_event())
    FhirAuditEvent(resource, strict=True)  # raises FHIRValidationError on a wrong or missing element

    assert resource["resourceType"] == "AuditEvent"
    assert resource["id"] == "42"
    assert resource["type"]["code"] == "rest"
    assert resource["subtype"] == [
        {"system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read"}
    ]
    assert resource["action"] == "R"
    assert resource["recorded"] == "2026-03-04T05:06:07.890000Z"
    assert resource["outcome"] == "0"
    user, ehr = resource["agent"]
    assert user["requestor"] is True
    assert user["who"]["reference"] == f"{ISSUER}/Practitioner/pr1"
    assert user["who"]["identifier"]["value"] == "7"
    assert user["network"] == {"address": "10.0.0.8", "type": "2"}
    assert ehr["requestor"] is False and ehr["who"]["identifier"]["value"] == ISSUER
    assert resource["source"]["observer"] == {"display": "smartapp"}
    patient, *others = resource["entity"]
    assert patient["what"]["reference"] == f"{ISSUER}/Patient/p1"
    assert patient["role"]["code"] == "1"
    assert {entity["type"]["code"] for entity in others} == {"AllergyIntolerance", "MedicationRequest", "2"}


@pytest.mark.parametrize(
    "action, outcome, kind, subtype, code, result",
    [
        ("fhir.search", "200", "rest", "search-type", "E", "0"),
        ("fhir.read", "404", "rest", "read", "R", "4"),
        ("fhir.search", "503", "rest", "search-type", "E", "8"),
        ("token.exchange", "success", "110114", "110122", "E", "0"),
        ("launch.begin", "unknown_iss", "110114", "110122", "E", "4"),
        ("logout", "success", "110114", "110123", "E", "0"),
        ("token.refresh", "failed", "110114", None, "E", "8"),
        ("referrals.export", "streamed", "110106", None, "R", "0"),
        ("audit.export", "streamed", "110101", "110106", "R", "0"),
        ("access.denied", "not_auditor", "110113", None, "E", "4"),
        ("chart.view", "reused", "110110", None, "R", "0"),
        ("referrals.outreach", "contacted", "110110", None, "C", "0"),
        ("something.new", "whatever", "110100", None, "E", "4"),
    ],
)
def test_each_action_gets_its_audit_event_type_action_and_outcome(
    action, outcome, kind, subtype, code, result
):
    resource = as_fhir_audit_event(_event(action=action, outcome=outcome))
    FhirAuditEvent(resource, strict=True)
    assert resource["type"]["code"] == kind
    assert [c["code"] for c in resource.get("subtype", [])] == ([subtype] if subtype else [])
    assert resource["action"] == code
    assert resource["outcome"] == result
    assert resource["outcomeDesc"] == f"{action}: {outcome}"


def test_login_and_export_codes_come_from_dicom():
    login = as_fhir_audit_event(_event(action="token.exchange", outcome="success"))
    assert _codes([login["type"], *login["subtype"]]) == {(DCM, "110114"), (DCM, "110122")}


def test_an_anonymous_event_without_patient_or_address_is_still_valid():
    resource = as_fhir_audit_event(
        _event(action="access.denied", outcome="not_auditor", user_id=None, fhir_user="", issuer="",
               launch_id="", patient_ref="", resource_types="", ip=None)
    )  # fmt: skip
    FhirAuditEvent(resource, strict=True)
    assert resource["agent"] == [{"requestor": True}]
    assert "entity" not in resource


def test_absolute_and_prefixed_references_are_kept():
    resource = as_fhir_audit_event(
        _event(fhir_user="https://other.example/fhir/Patient/9", patient_ref="Patient/9")
    )
    assert resource["agent"][0]["who"]["reference"] == "https://other.example/fhir/Patient/9"
    assert resource["entity"][0]["what"]["reference"] == f"{ISSUER}/Patient/9"


def test_it_holds_ids_and_codes_only():
    # The detail (counts, reasons) and the user agent stay out: the resource carries no free text.
    resource = as_fhir_audit_event(_event(detail={"rows": 3}, user_agent="Zqxcanary"))
    assert "Zqxcanary" not in str(resource) and "rows" not in str(resource)
