"""Fixtures for the vendor emulations: the small clinical record of tests/sandbox/fhir, and tokens issued
at a vendor's base (bound to it and, for Oracle, to one tenant)."""

import secrets
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from smartapp.sandbox.vendors.oracle import DEFAULT_TENANT
from tests.sandbox.auth.conftest import patients, practitioner  # noqa: F401  (fixtures, used by name)
from tests.sandbox.fhir.conftest import record  # noqa: F401  (a fixture, used by name)

OTHER_TENANT = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def base_of(live_server):
    """base_of("epic") -> that vendor's FHIR base on the live server ("" = the plain base)."""
    paths = {
        "": "/sandbox/fhir",
        "epic": "/sandbox/epic/api/FHIR/R4",
        "oracle": f"/sandbox/oracle/r4/{DEFAULT_TENANT}",
        "athena": "/sandbox/athena/fhir/r4",
        "meditech": "/sandbox/meditech/v2/uscore/R4",
    }
    return lambda vendor, tenant=DEFAULT_TENANT: (
        live_server.url + paths[vendor].replace(DEFAULT_TENANT, tenant)
    )


@pytest.fixture
def vendor_token(registered_client):
    """vendor_token("epic", "user/*.rs") -> a token as that vendor's authorization server issues it."""
    from oauth2_provider.models import get_access_token_model

    from smartapp.sandbox.models import TokenContext

    def make(vendor: str, scope: str = "user/*.rs", *, tenant: str = "", patient_id: str = "") -> str:
        tenant = tenant or (DEFAULT_TENANT if vendor == "oracle" else "")
        value = secrets.token_urlsafe(32)
        token = get_access_token_model().objects.create(
            token=value,
            application=registered_client,
            scope=scope,
            expires=timezone.now() + timedelta(hours=1),
        )
        TokenContext.objects.create(
            access_token=token,
            patient_id=patient_id,
            fhir_user="Practitioner/pr-1",
            vendor=vendor,
            tenant=tenant,
        )
        return value

    return make


@pytest.fixture
def get(vendor_token, base_of):
    """get("oracle", "ServiceRequest", params=...) -> the response, with a token of that vendor's base."""

    def fetch(vendor: str, path: str, *, params=None, headers=None, token: str = "") -> requests.Response:
        sent = {"Authorization": f"Bearer {token or vendor_token(vendor)}", **(headers or {})}
        return requests.get(f"{base_of(vendor)}/{path}", params=params, headers=sent, timeout=15)

    return fetch


def diagnostics(response: requests.Response) -> str:
    return response.json()["issue"][0]["diagnostics"]
