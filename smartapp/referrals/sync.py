"""referral_sync: bring one EHR connection's referrals and their evidence up to date.

The pages come from the vendor's population strategy (ehr/population/: a system-wide search, a Bulk Data
export or a per-patient walk; the sync does not know which). Each page is stored in one transaction
together with the walk's resume point (SyncClaim.resume) and any watermark the page earns, so a run that
failed (EHR outage, lost database, killed worker) resumes there instead of starting again, and a
watermark never passes a change that was not stored. A claim row (claims.py) keeps a second run of the
same connection from storing at the same time; only its holder stores a resume point.

A patient's sync (a clinician's "track follow-up") reads everything of that one patient and moves no
watermark: one patient's changes say nothing about the others'.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone

from smartapp.audit.services import audit_record
from smartapp.ehr import configs
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.population import PopulationPage, PopulationPending, patient_pages, population_pages

from .claims import claim_release, claim_renew, claim_resume_point, claim_take
from .credential_backoff import (
    CredentialsRefused,
    credentials_refusal_clear,
    credentials_refused_record,
    credentials_refused_since,
    is_refusal,
)
from .credentials import SyncNotPossible, can_sync, sync_client
from .models import Referral, SyncWatermark
from .recompute import referral_states_refresh
from .store import PageSummary, referral_page_store, watermark_advance

log = logging.getLogger(__name__)

# Referrals first: evidence stored after them links at once (evidence first works too, store.py).
SYNC_TYPES = ("ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference")
DEFAULTS = {"REFERRAL_SYNC_PAGE_SIZE": 100, "REFERRAL_SYNC_MAX_PAGES": 10_000}
UNKNOWN_CONNECTION = "No enabled EHR registration has this name."
COUNTS = ("created", "updated", "unchanged", "skipped", "ignored")
TOTALS = ("pages", "withheld", *COUNTS)  # logged and audited per run
PENDING = PopulationPending.__name__  # the run stopped to wait for the EHR (a Bulk Data export)


@dataclass
class TypeReport:
    """What the sync of one resource type read and changed."""

    resource_type: str
    pages: int = 0
    requests: int = 0  # FHIR requests, retries included
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    ignored: int = 0
    withheld: int = 0  # OperationOutcomes saying the EHR withheld results
    resumed: bool = False  # the walk continued where an earlier run stopped
    truncated: bool = False  # the walk stopped on purpose (page cap, foreign next link, cycle)

    def add(self, page: PopulationPage, summary: PageSummary) -> None:
        self.pages += 1
        self.requests += page.requests
        self.withheld += page.withheld
        self.truncated = self.truncated or page.truncated
        self.resumed = self.resumed or page.resumed
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(summary, name))


@dataclass
class SyncReport:
    """The outcome of one referral_sync. `busy`: another run held the connection, nothing was done."""

    connection: str
    one_patient: bool = False
    busy: bool = False
    types: list[TypeReport] = field(default_factory=list)
    states_changed: int = 0  # by the state refresh after the walks (connection syncs only)
    states: dict[str, int] = field(default_factory=dict)  # referrals per state after the sync
    requests: int = 0  # FHIR requests of the whole run

    def total(self, name: str) -> int:
        return sum(getattr(report, name) for report in self.types)


# on_page(resource_type, report so far): called after each stored page (the command's progress display).
OnPage = Callable[[str, TypeReport], None]


@dataclass
class _Run:
    config: LaunchConfig
    client: EhrClient
    holder: str
    patient: str
    today: date
    on_page: OnPage | None


def referral_sync(
    *,
    connection: str,
    patient: str = "",
    today: date | None = None,
    on_page: OnPage | None = None,
    run_id: str = "",
) -> SyncReport:
    """Sync `connection` (an enabled EHR registration's name), or only `patient` (a FHIR id) of it.

    Returns a SyncReport (`busy` when another run holds the connection: then nothing is done). Raises
    SyncNotPossible when nothing can read the EHR, EhrUnavailable (transient: a later run resumes where
    this one stopped), other EhrErrors (permanent), or a database error (the page being stored is rolled
    back and read again by the next run). `run_id` names the run for the connection's claim (a task id:
    the task's retries are the same run); `on_page(resource_type, report)` follows the progress.
    """
    config = configs.by_name(connection)
    if config is None:
        raise SyncNotPossible(UNKNOWN_CONNECTION)
    if patient and not is_fhir_id(patient):
        raise ValueError("patient must be a FHIR id")
    if config.as_backend() is not None and credentials_refused_since(config):
        log.warning("referral sync skipped: credentials refused", extra={"connection": connection})
        raise CredentialsRefused()
    holder = claim_take(connection=connection, holder=run_id, whole=not patient)
    if holder is None:
        log.info("referral sync skipped: another run holds the connection", extra={"connection": connection})
        return SyncReport(connection=connection, one_patient=bool(patient), busy=True)
    report, failure = SyncReport(connection=connection, one_patient=bool(patient)), ""
    try:
        client = sync_client(config, max_pages=_setting("REFERRAL_SYNC_MAX_PAGES"))
        _sync(_Run(config, client, holder, patient, today or timezone.localdate(), on_page), report)
    except BaseException as error:
        failure = type(error).__name__
        if is_refusal(error):
            credentials_refused_record(config)
        raise
    finally:
        _close(config, patient, holder, report, failure)
    return report


def sync_connections() -> list[str]:
    """The enabled registrations a background sync can read (a backend client, or an offline grant), but
    those whose credentials the EHR refused recently (credential_backoff.py)."""
    return [
        config.name
        for config in configs.enabled_configs()
        if can_sync(config) and not (config.as_backend() and credentials_refused_since(config))
    ]


def _sync(run: _Run, report: SyncReport) -> None:
    reports = {resource_type: TypeReport(resource_type) for resource_type in SYNC_TYPES}
    report.types = list(reports.values())
    try:
        for page in _pages(run):
            _store(run, page, reports, report)
    finally:
        report.requests = run.client.request_count
    if not run.patient:  # a patient's referrals were recomputed as their pages were stored
        report.states_changed = referral_states_refresh(today=run.today, connection=run.config.name)
    report.states = _states(run.config.name, run.patient)
    log.info(
        "referral sync finished",
        extra={
            "connection": run.config.name,
            "one_patient": bool(run.patient),
            "requests": report.requests,
            # one key: LogRecord has attributes of its own named like some counts ("created")
            "counts": {name: report.total(name) for name in TOTALS},
        },
    )


def _pages(run: _Run) -> Iterator[PopulationPage]:
    page_size = _setting("REFERRAL_SYNC_PAGE_SIZE")
    if run.patient:
        return patient_pages(
            run.client, run.config, patient=run.patient, types=SYNC_TYPES, page_size=page_size
        )
    connection = run.config.name
    marks = dict(
        SyncWatermark.objects.filter(connection=connection, resource_type__in=SYNC_TYPES).values_list(
            "resource_type", "last_updated"
        )
    )
    return population_pages(
        run.client,
        run.config,
        types=SYNC_TYPES,
        since={resource_type: marks.get(resource_type) for resource_type in SYNC_TYPES},
        resume=claim_resume_point(connection=connection),
        page_size=page_size,
        known_patients=lambda: tracked_patients(connection),
    )


def _store(run: _Run, page: PopulationPage, reports: dict[str, TypeReport], report: SyncReport) -> None:
    """One page, its resume point and the watermarks it earns, in one transaction."""
    connection, whole = run.config.name, not run.patient
    with transaction.atomic():
        # No page is stored without the claim; a connection's run counts the page in its progress.
        claim_renew(
            connection=connection,
            holder=run.holder,
            page_of=page.resource_type if whole else "",
            resume=page.resume if whole else None,
        )
        summary = None
        if page.resource_type:
            summary = referral_page_store(
                connection=connection,
                resource_type=page.resource_type,
                resources=page.resources,
                today=run.today,
                advance_watermark=False,
                read_at=page.as_of,
            )
        for resource_type, moment in page.watermarks.items() if whole else ():
            watermark_advance(connection=connection, resource_type=resource_type, last_updated=moment)
    if summary is None:
        return
    if page.resource_type not in reports:  # an export's Patients and people
        reports[page.resource_type] = TypeReport(page.resource_type)
        report.types.append(reports[page.resource_type])
    reports[page.resource_type].add(page, summary)
    if run.on_page is not None:
        run.on_page(page.resource_type, reports[page.resource_type])


def tracked_patients(connection: str) -> list[str]:
    """The FHIR ids of the patients smartapp tracks for `connection`: a per-patient walk's panel when the
    registration names no Group."""
    refs = Referral.objects.filter(connection=connection, patient_ref__startswith="Patient/")
    ids = refs.order_by().values_list("patient_ref", flat=True).distinct()
    return sorted({ref.removeprefix("Patient/") for ref in ids} - {""})


def _states(connection: str, patient: str) -> dict[str, int]:
    rows = Referral.objects.filter(connection=connection)
    if patient:
        rows = rows.filter(patient_ref=f"Patient/{patient}")
    return dict(rows.order_by().values_list("state").annotate(count=Count("pk")).order_by("state"))


def _close(config: LaunchConfig, patient: str, holder: str, report: SyncReport, failure: str) -> None:
    """Release the claim and audit the run. After a failure the database may be gone too: then the
    first error is the one raised, and the claim lapses by itself (or is taken back by the retry)."""
    try:
        whole = not patient
        claim_release(
            connection=config.name,
            holder=holder,
            finished=whole and not failure,
            failed=whole and bool(failure) and failure != PENDING,  # an export still running is no failure
        )
        if not failure:  # the EHR gave a token: whatever it refused before, it takes now
            credentials_refusal_clear(connection=config.name)
        _audit(config, patient, report, failure)
    except DatabaseError:
        if not failure:
            raise
        log.warning("sync claim not released", extra={"connection": config.name, "error_class": failure})


def _audit(config: LaunchConfig, patient: str, report: SyncReport, failure: str) -> None:
    """One event per run that read the EHR: what was read, counts only; the error class if it failed."""
    detail = {"requests": report.requests, **{name: report.total(name) for name in TOTALS}}
    if failure:
        detail["error_class"] = failure
    audit_record(
        action="referrals.sync",
        outcome=("pending" if failure == PENDING else "failed") if failure else "complete",
        issuer=config.issuer,
        patient_ref=f"Patient/{patient}" if patient else "",
        resource_types=[r.resource_type for r in report.types],
        detail=detail,
    )


def _setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))
