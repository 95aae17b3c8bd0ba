"""The whole async cycle over real HTTP on the live server: kick-off, poll, manifest, a streamed file."""

import requests

from smartapp.sandbox.store import save_resource
from smartapp.sandbox.synthetic.groups import ALL_PATIENTS_ID, groups_refresh


def test_an_export_round_trip_over_http(transactional_db, fhir_base, make_token, settings):
    settings.SANDBOX_EXPORT_SECONDS = 0
    for number in range(3):
        save_resource({"resourceType": "Patient", "id": f"pt-{number}"})
    groups_refresh()
    auth = {"Authorization": f"Bearer {make_token('system/Patient.read')}"}

    kicked = requests.get(
        f"{fhir_base}/Group/{ALL_PATIENTS_ID}/$export",
        headers={**auth, "Prefer": "respond-async", "Accept": "application/fhir+json"},
        timeout=15,
    )
    assert kicked.status_code == 202, kicked.text
    manifest = requests.get(kicked.headers["Content-Location"], headers=auth, timeout=15).json()
    url = manifest["output"][0]["url"]
    assert url.startswith(f"{fhir_base}/$export-file/")
    lines = requests.get(url, headers={**auth, "Accept": "application/fhir+ndjson"}, timeout=15)

    assert lines.headers["Content-Type"] == "application/fhir+ndjson"
    assert [line.count('"resourceType"') for line in lines.text.splitlines()] == [1, 1, 1]
    assert requests.delete(kicked.headers["Content-Location"], headers=auth, timeout=15).status_code == 202
