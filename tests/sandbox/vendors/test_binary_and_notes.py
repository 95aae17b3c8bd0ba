"""Oracle's Binary `Accept` rule (406 unless the content type or FHIR JSON is asked for), and Epic's
clinical notes served with an RTF attachment beside the stored one."""

import pytest

from smartapp.sandbox.store import save_resource


@pytest.mark.parametrize("accept", ["text/html", "*/*", "application/pdf"])
def test_oracle_answers_406_to_an_accept_that_is_not_the_binarys_type(record, get, accept):
    response = get("oracle", "Binary/bin-1", headers={"Accept": accept})

    assert response.status_code == 406
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "not-supported"


def test_oracle_answers_the_content_type_or_fhir_json(record, get):
    content = get("oracle", "Binary/bin-1", headers={"Accept": "text/plain"})
    resource = get("oracle", "Binary/bin-1", headers={"Accept": "application/fhir+json"})

    assert content.status_code == 200 and content.content == b"Discharge summary for the sandbox."
    assert resource.json()["resourceType"] == "Binary"


def test_other_vendors_answer_any_accept_with_the_content(record, get):
    for vendor in ("", "epic", "athena", "meditech"):
        response = get(vendor, "Binary/bin-3", headers={"Accept": "*/*"})
        assert (response.status_code, response.headers["Content-Type"]) == (200, "application/pdf"), vendor


def test_an_epic_note_lists_an_rtf_attachment_of_the_same_binary(record, get):
    read = get("epic", "DocumentReference/dr-1").json()
    searched = get("epic", "DocumentReference", params={"patient": "pt-1"}).json()["entry"][0]["resource"]
    plain = get("", "DocumentReference/dr-1").json()

    types = [(c["attachment"]["contentType"], c["attachment"]["url"]) for c in read["content"]]
    assert types == [("text/plain", "Binary/bin-1"), ("text/rtf", "Binary/bin-1")]
    assert searched["content"] == read["content"]
    assert [c["attachment"]["contentType"] for c in plain["content"]] == ["text/plain"]


def test_the_rtf_attachment_is_the_note_rendered_as_rtf(record, get):
    html = {"resourceType": "Binary", "id": "bin-h", "contentType": "text/html"}
    save_resource(
        {**html, "data": "PHA+U8OpbiB7b2t9PC9wPjxwPkxpbmUgMjwvcD4="}, patient_id="pt-1"
    )  # <p>Sén {ok}</p><p>Line 2</p>

    rtf = get("epic", "Binary/bin-h", headers={"Accept": "text/rtf"})
    stored = get("epic", "Binary/bin-h", headers={"Accept": "text/html"})

    assert rtf.headers["Content-Type"] == "text/rtf"
    assert rtf.content == b"{\\rtf1\\ansi\\deff0\nS\\u233?n \\{ok\\}\\par\nLine 2\n}"
    assert stored.headers["Content-Type"] == "text/html"
