"""Paging: next links carry every search parameter and reach the end, each match exactly once."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from smartapp.sandbox.store import save_resource

START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def many_orders(transactional_db):
    """120 active and 30 completed ServiceRequests of pt-1, interleaved."""
    for n in range(150):
        body = {
            "resourceType": "ServiceRequest",
            "id": f"sr-{n:03d}",
            "status": "completed" if n % 5 == 0 else "active",
            "intent": "order",
            "subject": {"reference": "Patient/pt-1"},
        }
        save_resource(body, last_updated=START + timedelta(hours=n))


def _links(bundle):
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _follow(url, token):
    """Every page of a search from `url`: (bundles, match ids in order)."""
    bundles, ids = [], []
    while url:
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=15)
        assert response.status_code == 200, response.text
        bundles.append(response.json())
        ids += [e["resource"]["id"] for e in bundles[-1].get("entry", [])]
        url = _links(bundles[-1]).get("next")
    return bundles, ids


def test_paging_reaches_the_end_with_every_match_once(many_orders, fhir_base, user_token):
    bundles, ids = _follow(f"{fhir_base}/ServiceRequest?status=active&_count=25", user_token)

    expected = [f"sr-{n:03d}" for n in range(150) if n % 5]
    assert ids == expected  # stable order, no duplicates, nothing skipped
    assert len(bundles) == 5
    assert all(b["total"] == 120 for b in bundles)
    assert all(len(b["entry"]) == 25 for b in bundles[:4]) and len(bundles[4]["entry"]) == 20
    assert "next" not in _links(bundles[-1])


def test_the_next_link_carries_every_original_parameter(many_orders, fhir_get, user_token):
    params = [
        ("status", "active"),
        ("_lastUpdated", "ge2024-01-02"),
        ("_lastUpdated", "lt2024-01-06"),
        ("_count", "7"),
    ]

    bundle = fhir_get("ServiceRequest", user_token, params=params).json()

    next_url = _links(bundle)["next"]
    carried = parse_qsl(urlsplit(next_url).query)
    assert [p for p in carried if p[0] != "_page_token"] == params
    assert any(name == "_page_token" for name, _ in carried)
    _, ids = _follow(next_url, user_token)
    # 2024-01-02 00:00 to 2024-01-05 23:00 are hours 24 to 119; every fifth is completed.
    expected = [f"sr-{n:03d}" for n in range(24, 120) if n % 5]
    assert [e["resource"]["id"] for e in bundle["entry"]] + ids == expected
    assert bundle["total"] == len(expected)


def test_the_self_and_first_links_reproduce_the_search(many_orders, fhir_get, user_token):
    bundle = fhir_get("ServiceRequest", user_token, params={"status": "completed", "_count": "10"}).json()

    links = _links(bundle)
    assert links["first"].endswith("/sandbox/fhir/ServiceRequest?status=completed&_count=10")
    assert links["self"] == links["first"]
    second = requests.get(links["next"], headers={"Authorization": f"Bearer {user_token}"}, timeout=10).json()
    assert "_page_token=" in _links(second)["self"]


def test_count_defaults_to_50_and_is_capped_at_1000(many_orders, fhir_get, user_token):
    assert len(fhir_get("ServiceRequest", user_token).json()["entry"]) == 50
    assert len(fhir_get("ServiceRequest", user_token, params={"_count": "5000"}).json()["entry"]) == 150


def test_count_zero_answers_only_the_total(many_orders, fhir_get, user_token):
    bundle = fhir_get("ServiceRequest", user_token, params={"_count": "0"}).json()

    assert bundle["total"] == 150
    assert "entry" not in bundle or bundle["entry"] == []
    assert "next" not in _links(bundle)


def test_a_paging_token_of_another_type_is_refused(many_orders, fhir_get, user_token):
    next_url = _links(fhir_get("ServiceRequest", user_token, params={"_count": "5"}).json())["next"]
    token = dict(parse_qsl(urlsplit(next_url).query))["_page_token"]

    response = fhir_get("Task", user_token, params={"_page_token": token})

    assert response.status_code == 400
