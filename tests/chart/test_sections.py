"""The section contract: each section fails on its own, and only a clean empty search reads as 'none'."""

import threading

import pytest

from smartapp.chart import sections
from smartapp.ehr.bundles import SearchResult
from smartapp.ehr.errors import EhrAuthExpired, EhrForbidden, EhrUnavailable

GRANTED = "patient/*.rs"


class FakeClient:
    """Answers per resource type: a SearchResult or an exception. Records the threads it ran on."""

    def __init__(self, answers):
        self.answers = answers
        self.threads = set()
        self.barrier = threading.Barrier(len(answers), timeout=5)

    def _answer(self, resource_type):
        self.threads.add(threading.get_ident())
        self.barrier.wait()  # every request must be in flight at once, or this times out
        answer = self.answers[resource_type]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def search(self, resource_type, params):
        return self._answer(resource_type)

    def read(self, resource_type, resource_id):
        return self._answer(resource_type)


def _result(matches=(), withheld=(), truncated=False):
    return SearchResult(list(matches), [], list(withheld), truncated, 1)


def _answers(**overrides):
    answers = {
        "Patient": {"resourceType": "Patient", "id": "p1"},
        "AllergyIntolerance": _result(),
        "MedicationRequest": _result([{"resourceType": "MedicationRequest"}]),
        "MedicationStatement": _result(),
        "DocumentReference": _result([{"resourceType": "DocumentReference"}]),
    }
    return answers | overrides


def _fetch(client, granted=GRANTED):
    return sections.fetch_chart(
        client, patient_id="p1", queries=sections.chart_queries("p1"), granted_scope=granted
    )


def test_all_searches_run_at_once_and_each_gets_its_state():
    client = FakeClient(_answers())
    patient, found = _fetch(client)
    assert patient["id"] == "p1"
    assert len(client.threads) == 5
    assert found["allergies"].state == sections.EMPTY
    assert found["medication_requests"].state == sections.OK


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (EhrUnavailable(), sections.FAILED),
        (EhrForbidden(), sections.FORBIDDEN),
        (_result(withheld=[{"resourceType": "OperationOutcome"}]), sections.WITHHELD),
        (_result([{"resourceType": "AllergyIntolerance"}], truncated=True), sections.TRUNCATED),
    ],
)
def test_a_failing_section_never_reads_as_empty_and_the_rest_still_shows(answer, state):
    patient, found = _fetch(FakeClient(_answers(AllergyIntolerance=answer)))
    assert found["allergies"].state == state != sections.EMPTY
    assert found["notes"].state == sections.OK


def test_a_section_whose_scope_was_not_granted_is_not_requested():
    client = FakeClient({k: v for k, v in _answers().items() if k != "AllergyIntolerance"})
    types = ("Patient", "MedicationRequest", "MedicationStatement", "DocumentReference")
    granted = " ".join(f"patient/{t}.rs" for t in types)
    _, found = _fetch(client, granted)
    assert found["allergies"].state == sections.NOT_GRANTED


def test_an_expired_token_stops_the_whole_chart():
    with pytest.raises(EhrAuthExpired):
        _fetch(FakeClient(_answers(AllergyIntolerance=EhrAuthExpired())))
