"""A token reads only the FHIR base (vendor emulation, and Oracle tenant) whose authorization server
issued it; the plain sandbox's tokens read only the plain base."""

import pytest
import requests

from tests.sandbox.vendors.conftest import OTHER_TENANT


@pytest.mark.parametrize(
    ("issued_by", "read_at"),
    [("epic", ""), ("", "epic"), ("epic", "oracle"), ("athena", "meditech"), ("meditech", "athena")],
)
def test_a_token_from_one_base_gets_401_at_another(record, get, vendor_token, issued_by, read_at):
    token = vendor_token(issued_by)

    refused = get(read_at, "Patient/pt-1", token=token)
    accepted = get(issued_by, "Patient/pt-1", token=token)

    assert refused.status_code == 401
    assert refused.json()["issue"][0]["code"] == "login"
    assert accepted.status_code == 200


def test_an_oracle_token_is_bound_to_its_tenant(record, base_of, vendor_token):
    token = vendor_token("oracle", tenant=OTHER_TENANT)
    headers = {"Authorization": f"Bearer {token}"}

    own = requests.get(f"{base_of('oracle', OTHER_TENANT)}/Patient/pt-1", headers=headers, timeout=15)
    default = requests.get(f"{base_of('oracle')}/Patient/pt-1", headers=headers, timeout=15)

    assert own.status_code == 200
    assert default.status_code == 401


def test_a_tenant_that_is_not_uuid_shaped_is_no_base(record, live_server, vendor_token):
    response = requests.get(f"{live_server.url}/sandbox/oracle/r4/not-a-tenant/metadata", timeout=15)

    assert response.status_code == 404


def test_introspection_answers_only_for_its_own_bases_tokens(record, live_server, vendor_token):
    token = vendor_token("epic")
    bearer = {"Authorization": f"Bearer {token}"}

    at_epic = requests.post(
        f"{live_server.url}/sandbox/epic/oauth2/introspect/",
        data={"token": token},
        headers=bearer,
        timeout=15,
    )
    at_athena = requests.post(
        f"{live_server.url}/sandbox/athena/oauth2/introspect/",
        data={"token": token},
        headers=bearer,
        timeout=15,
    )

    assert at_epic.json()["active"] is True
    assert at_athena.json() == {"active": False}
