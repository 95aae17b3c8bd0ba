"""One patient's measurements: smartapp's chart assembly, the naive baseline, the critical path, render CPU.

Needs Django set up (against the benchmark's sandbox database) before it is called.
"""

import math
import secrets
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from bench.naive import naive_chart

SMARTAPP_PAGE_SIZE = 200  # the `_count` of smartapp.chart.sections.chart_queries
SCOPE = "patient/*.rs"


@dataclass(frozen=True)
class PatientNumbers:
    patient: str
    smartapp_ms: float
    smartapp_requests: int
    naive_ms: float
    naive_requests: int
    speedup: float | None  # naive / smartapp
    critical_round_trips: int
    critical_ms: float
    critical_ratio: float | None  # smartapp / critical path; None when there is no latency
    render_cpu_ms: float

    def as_dict(self) -> dict:
        return asdict(self)


def mint_token(patient_id: str) -> str:
    """A sandbox access token for smartapp's registered client, scoped to one patient (as a launch gives)."""
    from django.conf import settings
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model

    from smartapp.sandbox.models import TokenContext

    app = get_application_model().objects.get(client_id=settings.SANDBOX_APP_CLIENT_ID)
    value = secrets.token_urlsafe(32)
    token = get_access_token_model().objects.create(
        token=value, application=app, scope=SCOPE, expires=timezone.now() + timedelta(hours=1)
    )
    TokenContext.objects.create(access_token=token, patient_id=patient_id)
    return value


def measure_patient(fhir_base: str, patient_id: str, *, latency_ms: int, rounds: int) -> PatientNumbers:
    """Median over `rounds` of each measurement, smartapp and naive runs interleaved."""
    token = mint_token(patient_id)
    # One unmeasured run first: template compilation and first-use imports are not what is measured.
    _render_cpu_ms(*_smartapp_chart(fhir_base, token, patient_id)[:2])
    smart, naive, render = [], [], []
    for _ in range(rounds):
        smart.append(_timed(lambda: _smartapp_chart(fhir_base, token, patient_id)))
        naive.append(_timed(lambda: naive_chart(fhir_base, token, patient_id)))
        render.append(_render_cpu_ms(*smart[-1][1][:2]))
    smart_ms, (_, _, smart_requests) = statistics.median(s[0] for s in smart), smart[-1][1]
    naive_ms, naive_result = statistics.median(n[0] for n in naive), naive[-1][1]
    trips = critical_round_trips(naive_result.totals)
    critical_ms = trips * latency_ms
    return PatientNumbers(
        patient=patient_id,
        smartapp_ms=round(smart_ms, 1),
        smartapp_requests=smart_requests,
        naive_ms=round(naive_ms, 1),
        naive_requests=naive_result.requests,
        speedup=_ratio(naive_ms, smart_ms),
        critical_round_trips=trips,
        critical_ms=float(critical_ms),
        critical_ratio=_ratio(smart_ms, critical_ms),
        render_cpu_ms=round(statistics.median(render), 1),
    )


def critical_round_trips(totals: dict[str, int]) -> int:
    """The fewest sequential round trips: the longest search's page count at smartapp's page size.

    All searches and the Patient read (one trip) can run at once, so only the longest chain of pages counts.
    """
    pages = [max(1, math.ceil(total / SMARTAPP_PAGE_SIZE)) for total in totals.values()]
    return max([1, *pages])


def _smartapp_chart(fhir_base: str, token: str, patient_id: str):
    from smartapp.chart import sections
    from smartapp.ehr.fhir import EhrClient

    client = EhrClient(base_url=fhir_base, access_token=token)
    patient, found = sections.fetch_chart(
        client, patient_id=patient_id, queries=sections.chart_queries(patient_id), granted_scope=SCOPE
    )
    return patient, found, 1 + sum(section.requests for section in found.values())


def _render_cpu_ms(patient: dict, found: dict) -> float:
    """CPU time to build the chart's rows and render chart.html, with a context like the view's."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from smartapp.chart.forms import NoteFilterForm
    from smartapp.chart.mappers import patient_banner
    from smartapp.chart.presenter import chart_rows

    request = RequestFactory().get("/chart/1/")
    started = time.process_time()
    context = {
        "launch": SimpleNamespace(pk=1, persona="clinician"),
        "note_filter": NoteFilterForm(None),
        "banner": patient_banner(patient, today=date(2026, 1, 15)),
        "show_banner": True,
        **chart_rows(found),
    }
    render_to_string("chart/chart.html", context, request=request)
    return (time.process_time() - started) * 1000


def _timed(run):
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None
