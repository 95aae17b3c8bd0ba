"""python manage.py sandbox_fault on|off|list"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smartapp.sandbox.models import Fault


def _run(*args) -> str:
    out = StringIO()
    call_command("sandbox_fault", *args, stdout=out)
    return out.getvalue()


def test_on_switches_a_fault_on_for_one_client(db):
    output = _run("on", "fhir_429", "--value", "5", "--client-id", "test-client", "--remaining", "2")

    fault = Fault.objects.get()
    assert (fault.kind, fault.value, fault.client_id, fault.remaining) == ("fhir_429", "5", "test-client", 2)
    assert "fhir_429=5 · test-client · 2 more" in output


def test_list_shows_every_fault(db):
    _run("on", "next_broken")
    _run("on", "latency_ms", "--value", "100")

    output = _run("list")

    assert "next_broken · every client · until off" in output
    assert "latency_ms=100 · every client · until off" in output


def test_list_says_when_nothing_is_switched_on(db):
    assert "no fault is switched on" in _run("list")


def test_off_switches_off_one_kind_or_everything(db):
    _run("on", "fhir_500")
    _run("on", "fhir_503", "--client-id", "test-client")
    _run("on", "latency_ms", "--value", "10")

    assert "1 fault(s)" in _run("off", "fhir_500")
    assert "0 fault(s)" in _run("off", "fhir_503", "--client-id", "other-client")
    assert "2 fault(s)" in _run("off")
    assert not Fault.objects.exists()


def test_an_unknown_kind_is_an_error(db):
    with pytest.raises(CommandError):
        _run("on", "meteor_strike")
    assert not Fault.objects.exists()


def test_remaining_must_be_positive(db):
    with pytest.raises(CommandError, match="at least 1"):
        _run("on", "fhir_500", "--remaining", "0")
