"""smartapp.sandbox.faults: the header, per-client rows and counted faults."""

from django.test import RequestFactory

from smartapp.sandbox import faults
from smartapp.sandbox.models import Fault


def _request(header: str | None = None):
    extra = {"HTTP_X_SANDBOX_FAULT": header} if header is not None else {}
    return RequestFactory().get("/sandbox/fhir/Patient", **extra)


def test_parse_header_reads_kinds_and_values_and_drops_unknown_kinds():
    parsed = faults.parse_header(" fhir_429=3 , latency_ms=50, next_broken, meteor_strike=1")

    assert parsed == {"fhir_429": "3", "latency_ms": "50", "next_broken": ""}


def test_parse_header_of_an_empty_header_is_empty():
    assert faults.parse_header("") == {}


def test_the_header_beats_a_row_of_the_same_kind(db):
    faults.switch_on(faults.FHIR_429, "30", remaining=1)

    found = faults.active(_request("fhir_429=1"), client_id="test-client")

    assert found == {"fhir_429": "1"}
    assert Fault.objects.get().remaining == 1  # the row was not consumed


def test_a_per_client_row_applies_only_to_that_client(db):
    faults.switch_on(faults.FHIR_500, client_id="test-client")
    faults.switch_on(faults.LATENCY_MS, "20")

    assert faults.active(_request(), client_id="test-client") == {"fhir_500": "", "latency_ms": "20"}
    assert faults.active(_request(), client_id="other-client") == {"latency_ms": "20"}


def test_a_counted_fault_disappears_after_n_uses(db):
    faults.switch_on(faults.TOKEN_EXPIRED, remaining=2)

    uses = [faults.active(_request(), client_id="c") for _ in range(3)]

    assert uses == [{"token_expired": ""}, {"token_expired": ""}, {}]
    assert not Fault.objects.exists()


def test_a_counted_fault_is_not_consumed_by_a_check_for_other_kinds(db):
    faults.switch_on(faults.FHIR_503, remaining=1)

    assert faults.active(_request(), kinds={faults.LATENCY_MS}) == {}
    assert faults.active(_request(), kinds={faults.FHIR_503}) == {"fhir_503": ""}
