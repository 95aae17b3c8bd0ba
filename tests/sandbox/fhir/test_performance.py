"""A large record pages quickly, in a fixed number of queries per page."""

import time

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import index_fields

ORDERS = 520
DOCUMENTS = 200


def _row(body):
    return Resource(
        resource_type=body["resourceType"],
        fhir_id=body["id"],
        last_updated=timezone.now(),
        body=body,
        **index_fields(body),
    )


@pytest.fixture
def large_record(transactional_db):
    """One patient with 520 MedicationRequests over 20 Medications and 200 DocumentReferences."""
    subject = {"reference": "Patient/big"}
    rows = [_row({"resourceType": "Patient", "id": "big"})]
    rows += [_row({"resourceType": "Medication", "id": f"med-{n}"}) for n in range(20)]
    rows += [
        _row(
            {
                "resourceType": "MedicationRequest",
                "id": f"mr-{n}",
                "status": "active",
                "subject": subject,
                "medicationReference": {"reference": f"Medication/med-{n % 20}"},
            }
        )
        for n in range(ORDERS)
    ]
    rows += [
        _row({"resourceType": "DocumentReference", "id": f"dr-{n}", "status": "current", "subject": subject})
        for n in range(DOCUMENTS)
    ]
    Resource.objects.bulk_create(rows)


def _page_through(url, token):
    ids = []
    while url:
        bundle = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=15).json()
        ids += [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return ids


def test_paging_a_large_patient_at_50_a_page_is_fast(large_record, fhir_base, make_token):
    token = make_token("patient/*.rs", patient_id="big")
    started = time.monotonic()

    orders = _page_through(
        f"{fhir_base}/MedicationRequest?patient=big&_include=MedicationRequest:medication", token
    )
    documents = _page_through(f"{fhir_base}/DocumentReference?patient=big&_count=50", token)

    assert time.monotonic() - started < 10  # 15 pages; typically well under a second
    assert sorted(orders) == sorted(f"mr-{n}" for n in range(ORDERS))
    assert sorted(documents) == sorted(f"dr-{n}" for n in range(DOCUMENTS))


def test_a_page_costs_the_same_few_queries_however_large(large_record, make_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token('user/*.rs')}"}
    counts = []
    for size in (10, 500):
        with CaptureQueriesContext(connection) as queries:
            path = f"/sandbox/fhir/MedicationRequest?_count={size}&_include=MedicationRequest:medication"
            response = Client().get(path, **auth)
        assert response.status_code == 200
        assert len(response.json()["entry"]) == size + min(size, 20)  # matches, then their medications
        counts.append(len(queries))

    assert counts[0] == counts[1] <= 8
