"""_include=MedicationRequest:medication."""


def _entries(bundle, mode):
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == mode]


def test_include_adds_each_referenced_medication_once_after_the_matches(record, fhir_get, user_token):
    params = {"patient": "pt-1", "_include": "MedicationRequest:medication"}

    bundle = fhir_get("MedicationRequest", user_token, params=params).json()

    modes = [e["search"]["mode"] for e in bundle["entry"]]
    assert modes == ["match"] * 3 + ["include"] * 2
    assert sorted(r["id"] for r in _entries(bundle, "match")) == ["mr-1", "mr-2", "mr-4"]
    assert sorted(r["id"] for r in _entries(bundle, "include")) == ["med-1", "med-2"]
    assert all(r["resourceType"] == "Medication" for r in _entries(bundle, "include"))
    assert bundle["total"] == 3  # total counts matches only


def test_include_covers_only_the_current_page(record, fhir_get, user_token):
    params = {"_id": "mr-2", "_include": "MedicationRequest:medication"}

    bundle = fhir_get("MedicationRequest", user_token, params=params).json()

    assert [r["id"] for r in _entries(bundle, "include")] == ["med-2"]


def test_include_is_left_out_without_a_medication_scope(record, fhir_get, make_token):
    token = make_token("user/MedicationRequest.rs")
    params = {"patient": "pt-1", "_include": "MedicationRequest:medication"}

    bundle = fhir_get("MedicationRequest", token, params=params).json()

    assert len(_entries(bundle, "match")) == 3
    assert _entries(bundle, "include") == []


def test_without_include_there_are_only_matches(record, fhir_get, user_token):
    bundle = fhir_get("MedicationRequest", user_token, params={"patient": "pt-1"}).json()

    assert {e["search"]["mode"] for e in bundle["entry"]} == {"match"}
    assert bundle["entry"][0]["fullUrl"].endswith("/sandbox/fhir/MedicationRequest/mr-1")
