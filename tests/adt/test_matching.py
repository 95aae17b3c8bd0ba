"""Patient matching by PID-3: preference order, the registration's identifier systems, every outcome
recorded, a recorded match reused, and an unavailable EHR never recorded as "no match"."""

import pytest

from smartapp.adt import matching
from smartapp.adt.contents import PatientIdentifier
from smartapp.adt.models import PatientMatch
from smartapp.ehr import configs
from smartapp.ehr.bundles import SearchResult
from smartapp.ehr.errors import EhrBadResponse, EhrForbidden, EhrUnavailable

pytestmark = pytest.mark.django_db

MRN_SYSTEM = "https://sandbox.smartapp.example/fhir/mrn"
MRN = PatientIdentifier("MRN-1", "SBX", "MR")
OTHER = PatientIdentifier("999", "SSA", "SS")


class FakeEhr:
    """Answers Patient?identifier=... from a table, each Patient with its `link` entries from `links`
    (Patient id -> list of links) when given; records what was searched."""

    def __init__(self, answers=None, error=None, links=None):
        self.answers, self.error, self.searched = answers or {}, error, []
        self.links = links or {}

    def search(self, resource_type, params, *, max_pages=None):
        assert resource_type == "Patient" and max_pages == 1
        self.searched.append(dict(params)["identifier"])
        if self.error:
            raise self.error
        ids = self.answers.get(dict(params)["identifier"], [])
        matches = [{"resourceType": "Patient", "id": i} | self._linked(i) for i in ids]
        return SearchResult(matches=matches, included=[], withheld=[], truncated=False, requests=1)

    def _linked(self, patient_id):
        return {"link": self.links[patient_id]} if patient_id in self.links else {}

    def read(self, resource_type, resource_id):
        known = {i for ids in self.answers.values() for i in ids} | set(self.answers.get("read", []))
        if resource_type != "Patient" or resource_id not in known:
            raise EhrBadResponse("The EHR has no such record.")
        return {"resourceType": "Patient", "id": resource_id} | self._linked(resource_id)


@pytest.fixture
def ehr(monkeypatch):
    fake = FakeEhr()
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)
    return fake


def match(*identifiers):
    return matching.patient_match(config=configs.by_name("sandbox"), identifiers=identifiers)


def test_the_mr_identifier_is_searched_first_in_its_mapped_system(ehr):
    ehr.answers = {f"{MRN_SYSTEM}|MRN-1": ["p-1"]}
    assert match(OTHER, MRN) == matching.Match(patient_ref="Patient/p-1")
    assert ehr.searched == [f"{MRN_SYSTEM}|MRN-1"]  # SSA is not mapped: never searched by value alone
    row = PatientMatch.objects.get()
    assert (row.identifier, row.outcome, row.patient_ref, row.candidates) == (
        f"{MRN_SYSTEM}|MRN-1", "matched", "Patient/p-1", 1)  # fmt: skip


def test_a_recorded_match_is_reused_without_a_second_search(ehr):
    ehr.answers = {f"{MRN_SYSTEM}|MRN-1": ["p-1"]}
    match(MRN)
    ehr.answers = {}
    assert match(MRN).patient_ref == "Patient/p-1"
    assert len(ehr.searched) == 1


def test_no_patient_is_recorded_and_searched_again_next_time(ehr):
    assert match(MRN) == matching.Match(reason=matching.NO_MATCH)
    assert PatientMatch.objects.get().outcome == "none"
    ehr.answers = {f"{MRN_SYSTEM}|MRN-1": ["p-7"]}
    assert match(MRN).patient_ref == "Patient/p-7"
    assert PatientMatch.objects.get().outcome == "matched"


def test_several_patients_are_no_match(ehr):
    ehr.answers = {f"{MRN_SYSTEM}|MRN-1": ["p-1", "p-2"]}
    assert match(MRN) == matching.Match(reason=matching.SEVERAL_MATCHES)
    assert (PatientMatch.objects.get().outcome, PatientMatch.objects.get().candidates) == ("several", 2)


def test_an_unmapped_authority_is_searched_by_value_only_when_no_mapped_one_exists(ehr):
    ehr.answers = {"999": ["p-3"]}
    assert match(OTHER).patient_ref == "Patient/p-3"
    assert ehr.searched == ["999"]


def test_an_unavailable_ehr_raises_and_records_nothing(ehr):
    ehr.error = EhrUnavailable(retry_after=30)
    with pytest.raises(EhrUnavailable):
        match(MRN)
    assert not PatientMatch.objects.exists()


def test_an_ehr_that_refuses_the_search_is_a_reason_to_park(ehr):
    ehr.error = EhrForbidden()
    assert match(MRN) == matching.Match(reason=matching.EHR_REFUSED)


def test_a_vendor_whose_rules_refuse_identifier_search_is_not_asked(ehr, monkeypatch):
    monkeypatch.setattr(matching, "query_problem", lambda rules, resource_type, params: "no identifier")
    assert match(MRN) == matching.Match(reason=matching.SEARCH_REFUSED)
    assert ehr.searched == []


def test_no_usable_identifier_is_a_reason_to_park(ehr):
    assert match(PatientIdentifier("")) == matching.Match(reason=matching.NO_IDENTIFIER)


def test_search_values_are_escaped_as_fhir_tokens():
    keys = matching.search_keys((PatientIdentifier("A|B,C", "SBX", "MR"),), {"SBX": "urn:x"})
    assert keys == ["urn:x|A\\|B\\,C"]
