"""EhrClient against the sandbox EHR on the live test server: reads, paging, _include, Binary, faults."""

import base64

import pytest

from smartapp.core.http import outgoing_session
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrForbidden, EhrUnavailable
from smartapp.ehr.fhir import EhrClient
from smartapp.sandbox import faults
from smartapp.sandbox.store import save_resource

PATIENT = "pt-fhir-1"


def _medication_request(index: int) -> dict:
    return {
        "resourceType": "MedicationRequest",
        "id": f"mr-{index}",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationReference": {"reference": f"Medication/med-{index % 2}"},
    }


def _binary(fhir_id: str, content_type: str, content: bytes) -> None:
    body = {"resourceType": "Binary", "id": fhir_id, "contentType": content_type}
    save_resource({**body, "data": base64.b64encode(content).decode()}, patient_id=PATIENT)


@pytest.fixture
def record(transactional_db):
    save_resource({"resourceType": "Patient", "id": PATIENT, "name": [{"family": "Zqxcanary"}]})
    for index in range(2):
        save_resource({"resourceType": "Medication", "id": f"med-{index}", "code": {"text": f"Drug {index}"}})
    for index in range(120):
        save_resource(_medication_request(index))
    _binary("bin-text", "text/plain", b"Discharge summary.")
    _binary("bin-pdf", "application/pdf", b"%PDF-1.4 sandbox")


@pytest.fixture
def client(record, fhir_base, make_token, settings):
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    token = make_token("patient/*.rs", patient_id=PATIENT)
    return EhrClient(base_url=fhir_base, access_token=token)


@pytest.fixture
def client_for(record, fhir_base, make_token, settings):
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]

    def make(scope: str) -> EhrClient:
        return EhrClient(base_url=fhir_base, access_token=make_token(scope, patient_id=PATIENT))

    return make


def test_it_reads_a_resource_as_raw_json(client):
    patient = client.read("Patient", PATIENT)

    assert patient["resourceType"] == "Patient"
    assert patient["name"][0]["family"] == "Zqxcanary"


def test_it_follows_every_page_of_a_search_and_counts_requests(client):
    result = client.search("MedicationRequest", {"patient": PATIENT, "_count": "25"})

    assert len(result.matches) == 120
    assert len({r["id"] for r in result.matches}) == 120
    assert result.requests == 5  # 25 + 25 + 25 + 25 + 20: _count is a page size, not a limit
    assert result.truncated is False
    assert result.included == result.withheld == []


def test_it_stops_at_the_page_cap_and_says_so(client):
    result = client.search("MedicationRequest", [("patient", PATIENT), ("_count", "25")], max_pages=2)

    assert len(result.matches) == 50
    assert result.requests == 2
    assert result.truncated is True


def test_it_keeps_included_resources_apart_from_matches(client):
    result = client.search(
        "MedicationRequest",
        {"patient": PATIENT, "_count": "200", "_include": "MedicationRequest:medication"},
    )

    assert {r["resourceType"] for r in result.matches} == {"MedicationRequest"}
    assert len(result.matches) == 120
    assert sorted(r["id"] for r in result.included) == ["med-0", "med-1"]


@pytest.mark.parametrize(
    ("reference", "accept", "content_type", "data"),
    [
        ("Binary/bin-text", "text/plain", "text/plain", b"Discharge summary."),
        ("Binary/bin-pdf", "application/pdf", "application/pdf", b"%PDF-1.4 sandbox"),
    ],
)
def test_it_returns_raw_binary_content(client, reference, accept, content_type, data):
    content = client.binary(reference, accept=accept)

    assert content.content_type.startswith(content_type)
    assert content.data == data


def test_it_decodes_a_binary_that_comes_back_as_fhir_json(client):
    content = client.binary(f"{client.base_url}/Binary/bin-pdf", accept="application/fhir+json")

    assert content.content_type == "application/pdf"
    assert content.data == b"%PDF-1.4 sandbox"


def test_an_expired_token_raises_auth_expired(client):
    faults.switch_on(faults.TOKEN_EXPIRED)

    with pytest.raises(EhrAuthExpired):
        client.read("Patient", PATIENT)


def test_a_search_outside_the_granted_scopes_raises_forbidden(client_for):
    client = client_for("patient/Patient.rs")

    with pytest.raises(EhrForbidden):
        client.search("MedicationRequest", {"patient": PATIENT})


def test_one_429_is_retried_by_the_session_and_the_search_succeeds(client):
    faults.switch_on(faults.FHIR_429, "0", remaining=1)

    result = client.search("MedicationRequest", {"patient": PATIENT, "_count": "200"})

    assert len(result.matches) == 120
    assert result.requests == 2


def test_a_persistent_503_raises_unavailable_after_the_retries(record, fhir_base, make_token):
    session = outgoing_session(["127.0.0.1"], retries=1)
    client = EhrClient(base_url=fhir_base, access_token=make_token("patient/*.rs"), session=session)
    faults.switch_on(faults.FHIR_503, "0")

    with pytest.raises(EhrUnavailable) as raised:
        client.read("Patient", PATIENT)

    assert raised.value.transient is True
    assert raised.value.retry_after == 0
    assert client.request_count == 2  # the first try and the session's one GET retry


def test_a_broken_next_link_fails_the_search_rather_than_returning_part_of_it(client):
    # Decision: a page that fails is an error, never a silently shorter list ("failed" is not "none").
    faults.switch_on(faults.NEXT_BROKEN)

    with pytest.raises(EhrBadResponse):
        client.search("MedicationRequest", {"patient": PATIENT, "_count": "25"})


def test_fhirclient_models_read_through_the_client(client):
    from fhirclient.models.patient import Patient

    patient = Patient.read(PATIENT, client.fhir_server())

    assert patient.name[0].family == "Zqxcanary"
