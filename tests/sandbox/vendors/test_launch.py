"""The launch simulator opens the app with the chosen vendor emulation's FHIR base as `iss`:
/sandbox/launch/?user=&patient=&app=&vendor=epic (and &tenant=<uuid> for Oracle)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from smartapp.sandbox.auth import clients
from smartapp.sandbox.vendors.oracle import DEFAULT_TENANT
from tests.sandbox.vendors.conftest import OTHER_TENANT

APP = "http://127.0.0.1:9/launch/"


@pytest.fixture
def app(transactional_db):
    clients.register("launched-app", redirect_uris=["http://127.0.0.1:9/callback/"], launch_url=APP)


def _launch(client, **params):
    return client.get("/sandbox/launch/", {"user": "pr-1", "patient": "p-1", "app": APP, **params})


def _iss(response) -> str:
    assert response.status_code == 302, response.content[:300]
    return parse_qs(urlsplit(response["Location"]).query)["iss"][0]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({}, "/sandbox/fhir"),
        ({"vendor": "epic"}, "/sandbox/epic/api/FHIR/R4"),
        ({"vendor": "athena"}, "/sandbox/athena/fhir/r4"),
        ({"vendor": "meditech"}, "/sandbox/meditech/v2/uscore/R4"),
        ({"vendor": "oracle"}, f"/sandbox/oracle/r4/{DEFAULT_TENANT}"),
        ({"vendor": "oracle", "tenant": OTHER_TENANT}, f"/sandbox/oracle/r4/{OTHER_TENANT}"),
    ],
)
def test_the_launch_sends_the_vendors_base_as_iss(client, app, practitioner, patients, params, path):
    assert _iss(_launch(client, **params)) == f"http://testserver{path}"


@pytest.mark.parametrize(
    "params",
    [
        {"vendor": "cerner"},
        {"vendor": "oracle", "tenant": "not-a-uuid"},
        {"vendor": "epic", "tenant": OTHER_TENANT},
    ],
)
def test_a_launch_with_an_unknown_vendor_or_a_misplaced_tenant_is_refused(
    client, app, practitioner, patients, params
):
    response = _launch(client, **params)

    assert response.status_code == 400
    assert b"Launch refused" in response.content


def test_the_simulator_offers_the_vendors(client, app, practitioner, patients):
    page = client.get("/sandbox/").content.decode()

    assert '<select id="vendor" name="vendor">' in page
    assert all(f'<option value="{v}"' in page for v in ("epic", "oracle", "athena", "meditech"))
