from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import index_fields, parse_fhir_date, save_resource


def test_it_indexes_patient_tokens_dates_and_references():
    fields = index_fields(
        {
            "resourceType": "Appointment",
            "id": "a1",
            "status": "booked",
            "participant": [
                {"actor": {"reference": "Practitioner/x"}},
                {"actor": {"reference": "Patient/p2"}},
            ],
            "start": "2024-01-01T09:30:00Z",
            "appointmentType": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": "FOLLOWUP"}]
            },
            "basedOn": [{"reference": "ServiceRequest/s1"}],
        }
    )
    assert fields["patient_id"] == "p2"
    assert fields["status"] == "booked"
    assert " FOLLOWUP " in fields["type"]
    assert " http://terminology.hl7.org/CodeSystem/v2-0276|FOLLOWUP " in fields["type"]
    assert fields["date"].isoformat() == "2024-01-01T09:30:00+00:00"
    assert fields["based_on"] == " ServiceRequest/s1 "


def test_partial_and_invalid_dates():
    assert parse_fhir_date("2024").isoformat() == "2024-01-01T00:00:00+00:00"
    assert parse_fhir_date("2024-02").isoformat() == "2024-02-01T00:00:00+00:00"
    assert parse_fhir_date("2024-02-30") is None
    assert parse_fhir_date("yesterday") is None


def test_saving_again_bumps_the_version(db):
    body = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Test"}]}
    first = save_resource(body)
    second = save_resource({**body, "gender": "female"})
    assert (first.pk, second.version_id) == (second.pk, 2)
    stored = Resource.objects.get(resource_type="Patient", fhir_id="p1")
    assert stored.body["meta"]["versionId"] == "2"
    assert stored.body["gender"] == "female"
    assert stored.patient_id == "p1"
