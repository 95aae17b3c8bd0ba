"""The section contract: each section fails on its own, and only a clean empty search reads as 'none'."""

import threading

import pytest

from smartapp.chart import sections
from smartapp.ehr.bundles import SearchResult
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrForbidden, EhrUnavailable

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


class StrictClient:
    """Refuses (400) any search that asks for an `_include`, like a strict FHIR server."""

    def __init__(self):
        self.searches = []

    def search(self, resource_type, params):
        self.searches.append((resource_type, params))
        if any(name == "_include" for name, _ in params):
            raise EhrBadResponse()
        return _result([{"resourceType": resource_type, "patient": {"reference": "Patient/p1"}}])


def test_the_allergy_search_asks_for_recorders_and_asserters():
    [allergies] = [q for q in sections.chart_queries("p1") if q.name == "allergies"]
    assert ("_include", "AllergyIntolerance:recorder") in allergies.params
    assert ("_include", "AllergyIntolerance:asserter") in allergies.params


def test_a_server_that_refuses_an_include_still_gives_the_section_without_it():
    client = StrictClient()
    [allergies] = [q for q in sections.chart_queries("p1") if q.name == "allergies"]

    data = sections._fetch_one(client, allergies, "p1")

    assert data.state == sections.OK and data.included == []
    assert [name for name, _ in client.searches[-1][1]] == ["patient", "_count"]


def test_a_refused_search_without_includes_still_fails():
    client = StrictClient()
    client.search = lambda resource_type, params: (_ for _ in ()).throw(EhrBadResponse())
    query = sections.SectionQuery("statements", "MedicationStatement", (("patient", "p1"),))
    assert sections._fetch_one(client, query, "p1").state == sections.FAILED


def test_a_retry_keeps_the_medication_include_and_drops_only_the_prescriber_include():
    class RefusesRequester(StrictClient):
        def search(self, resource_type, params):
            self.searches.append((resource_type, params))
            if ("_include", "MedicationRequest:requester") in params:
                raise EhrBadResponse()
            return _result([{"resourceType": resource_type, "subject": {"reference": "Patient/p1"}}])

    client = RefusesRequester()
    [requests] = [q for q in sections.chart_queries("p1") if q.name == "medication_requests"]

    assert sections._fetch_one(client, requests, "p1").state == sections.OK
    assert ("_include", "MedicationRequest:medication") in client.searches[-1][1]
    assert ("_include", "MedicationRequest:requester") not in client.searches[-1][1]
