"""Binary: raw content in its own content type, or the resource as FHIR JSON."""

import base64

from smartapp.sandbox.store import save_resource


def test_binary_answers_its_content_in_its_own_content_type(record, fhir_get, user_token):
    response = fhir_get("Binary/bin-1", user_token)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain"
    assert response.content == b"Discharge summary for the sandbox."
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Cache-Control"] == "no-store"


def test_html_and_pdf_binaries_keep_their_types_and_are_sandboxed(record, fhir_get, user_token):
    html = fhir_get("Binary/bin-2", user_token, headers={"Accept": "text/html"})
    pdf = fhir_get("Binary/bin-3", user_token, headers={"Accept": "*/*"})

    assert html.headers["Content-Type"] == "text/html"
    assert html.headers["Content-Security-Policy"] == "sandbox"
    assert html.content.startswith(b"<p>Note</p>")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.4 sandbox"


def test_binary_answers_the_resource_when_fhir_json_is_asked_for(record, fhir_get, user_token):
    by_accept = fhir_get("Binary/bin-1", user_token, headers={"Accept": "application/fhir+json"})
    by_format = fhir_get("Binary/bin-1", user_token, params={"_format": "json"})

    for response in (by_accept, by_format):
        assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
        body = response.json()
        assert body["resourceType"] == "Binary" and body["contentType"] == "text/plain"
        assert base64.b64decode(body["data"]) == b"Discharge summary for the sandbox."


def test_a_binary_with_corrupt_data_is_a_500_operation_outcome(record, fhir_get, user_token):
    corrupt = {"resourceType": "Binary", "id": "bad", "contentType": "text/plain", "data": "!!"}
    save_resource(corrupt, patient_id="pt-1")

    response = fhir_get("Binary/bad", user_token)

    assert response.status_code == 500
    assert response.json()["issue"][0]["code"] == "exception"
