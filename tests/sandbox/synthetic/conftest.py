"""Generated data shared by the synthetic-patient tests (generation is pure, so one copy serves all)."""

from datetime import date

import pytest

from smartapp.sandbox.synthetic import generate

ANCHOR = date(2025, 6, 1)
SEED = 7


@pytest.fixture(scope="session")
def resources() -> list[dict]:
    return generate(seed=SEED, anchor=ANCHOR)


@pytest.fixture(scope="session")
def by_type(resources) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for body in resources:
        grouped.setdefault(body["resourceType"], []).append(body)
    return grouped


@pytest.fixture(scope="session")
def by_key(resources) -> dict[str, dict]:
    return {f"{body['resourceType']}/{body['id']}": body for body in resources}


def of_patient(bodies: list[dict], patient_id: str) -> list[dict]:
    """The bodies whose subject/patient/for is that patient."""
    wanted = f"Patient/{patient_id}"
    return [
        body
        for body in bodies
        if any((body.get(key) or {}).get("reference") == wanted for key in ("subject", "patient", "for"))
    ]
