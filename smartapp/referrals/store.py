"""Storing one page of FHIR resources from a sync: one transaction, idempotent, watermark included.

A page may be stored twice (a redelivered task), out of order (an older version after a newer one) or
before the referral its evidence belongs to; the tables end up the same as after one clean, ordered run.
The version check reads before it writes: the caller runs one sync per connection at a time (a lock or a
claim row, SECURITY.md 5.3); unique constraints still stop duplicates if two runs overlap.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smartapp.ehr import configs
from smartapp.ehr.sync_queries import newest_update

from . import elements, follow_up_rules, mappers
from .facts import EvidenceFacts, ReferralFacts, version_order
from .models import SyncWatermark
from .recompute import states_recompute
from .relink import derived_relink
from .store_evidence import evidence_upsert
from .store_names import Directory, page_directory, patients_fill_known, patients_update, people_update
from .store_referrals import referrals_upsert
from .tracking import horizon_apply

logger = logging.getLogger(__name__)

EVIDENCE_MAPPERS = {
    "Task": mappers.task,
    "Appointment": mappers.appointment,
    "Encounter": mappers.encounter,
    "DocumentReference": mappers.consult_note,
}


@dataclass
class PageSummary:
    """What storing a page changed, per resource: created, updated, unchanged (same or older version),
    skipped (unparseable) or ignored (not follow-up data, e.g. a lab order or an included Patient).
    A hospital Encounter that also names a ServiceRequest counts twice: as a discharge and as evidence."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    ignored: int = 0
    watermark: datetime | None = None  # the connection's watermark for the page's type after storing


@dataclass
class _Parsed:
    referrals: dict[str, ReferralFacts] = field(default_factory=dict)
    evidence: dict[str, EvidenceFacts] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("skipped", "ignored"), 0))


def referral_page_store(
    *,
    connection: str,
    resource_type: str,
    resources: list[dict],
    today: date,
    advance_watermark: bool = True,
    read_at: datetime | None = None,
) -> PageSummary:
    """Store one page of a `resource_type` search (with any included resources) from `connection`.

    In one transaction: upsert referrals, discharges and evidence on their natural keys (keeping the newest
    version), link evidence to referrals (by reference, through its encounter, or inferred, under the
    follow-up rules), give stored rows the names and patient facts of the resources the page included,
    recompute the state of the referrals touched, close those before the tracking horizon, and move the
    (connection, resource_type) watermark forward to the newest meta.lastUpdated of the page (never
    backwards). An unparseable resource is skipped and counted.
    `advance_watermark=False` leaves the watermark alone: a page of a walk not sorted by lastUpdated, or of
    one patient's sync, says nothing about what else changed before it.
    `read_at`: the moment the page describes the EHR at when it is not now (an export's transactionTime);
    None for a page just fetched. Its Patients' facts are stamped with it (store_names.patients_update), and
    a late ADT message with an older MSH-7 does not overwrite them.
    """
    rules = configured_rules()
    directory = page_directory(resources, today=today)
    parsed = _parse(resources, directory, rules, visit_system=_visit_system(connection))
    counts = {"created": 0, "updated": 0, "unchanged": 0, **parsed.counts}
    with transaction.atomic():
        touched, patients = referrals_upsert(connection, list(parsed.referrals.values()), counts)
        evidence_touched, evidence_patients = evidence_upsert(
            connection, list(parsed.evidence.values()), counts
        )
        touched |= evidence_touched
        touched |= derived_relink(connection, patients | evidence_patients, rules=rules)
        patients_update(connection, directory.patients, read_at=read_at)
        patients_fill_known(connection, (patients | evidence_patients) - set(directory.patients))
        people_update(connection, directory.people, unnamed=_unnamed(parsed))
        states_recompute(touched, today=today)
        horizon_apply(connection=connection, today=today, ids=touched)
        newest = _newest(resources, resource_type) if advance_watermark else None
        watermark = watermark_advance(connection=connection, resource_type=resource_type, last_updated=newest)
    return PageSummary(**counts, watermark=watermark)


def watermark_advance(
    *, connection: str, resource_type: str, last_updated: datetime | None
) -> datetime | None:
    """Move the watermark to `last_updated` if that is newer (a conditional UPDATE: concurrent callers
    cannot move it back). Returns the watermark now stored."""
    SyncWatermark.objects.bulk_create(
        [SyncWatermark(connection=connection, resource_type=resource_type)], ignore_conflicts=True
    )
    mark = SyncWatermark.objects.filter(connection=connection, resource_type=resource_type)
    if last_updated is not None:
        older = Q(last_updated__isnull=True) | Q(last_updated__lt=last_updated)
        mark.filter(older).update(last_updated=last_updated, updated_at=timezone.now())
    return mark.values_list("last_updated", flat=True).get()


def configured_rules() -> follow_up_rules.Rules:
    """The follow-up rules with this deployment's settings (docs/follow-up-rules.md)."""
    return follow_up_rules.rule_table(
        getattr(settings, "REFERRAL_FOLLOW_UP_RULES", None),
        referral_due_days=getattr(settings, "REFERRAL_DEFAULT_DUE_DAYS", None),
    )


def _visit_system(connection: str) -> str:
    """The Identifier.system of the connection's visit numbers (its `[adt]` table), "" for none: then an
    identifier typed VN is the visit number (mappers.visit_number)."""
    config = configs.by_name(connection)
    return config.adt.visit_system if config and config.adt else ""


def _parse(
    resources: list[dict], directory: Directory, rules: follow_up_rules.Rules, *, visit_system: str
) -> _Parsed:
    parsed = _Parsed()
    for resource in resources:
        try:
            found = _map(resource, directory, rules, visit_system)
        except Exception as error:  # a poison resource must not abort the page
            resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
            logger.warning(
                "skipped an unparseable resource",
                extra={"resource_type": str(resource_type)[:64], "error_class": type(error).__name__},
            )
            parsed.counts["skipped"] += 1
            continue
        if not found:
            parsed.counts["ignored"] += 1
        for facts in found:
            bucket = parsed.referrals if isinstance(facts, ReferralFacts) else parsed.evidence
            _keep_newest(bucket, facts)
    return parsed


def _map(
    resource, directory: Directory, rules: follow_up_rules.Rules, visit_system: str
) -> list[ReferralFacts | EvidenceFacts]:
    resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
    people = directory.people
    if resource_type == "ServiceRequest":
        due_days = rules[follow_up_rules.REFERRAL].due_days
        names = directory.patient_names
        found = [
            mappers.service_request(resource, default_due_days=due_days, patient_names=names, people=people)
        ]
    elif resource_type == "Encounter":
        found = [
            mappers.encounter(resource, people, visit_system=visit_system),
            mappers.discharge(resource, rules=rules, people=people, visit_system=visit_system),
        ]
    elif resource_type in EVIDENCE_MAPPERS:
        found = [EVIDENCE_MAPPERS[resource_type](resource, people)]
    elif isinstance(resource_type, str):
        return []  # included Patients, Practitioners, OperationOutcomes
    else:
        raise elements.Unparseable("not a FHIR resource")
    return [facts for facts in found if facts is not None]


def _unnamed(parsed: _Parsed) -> set[str]:
    """The people the page's resources name without a name for them."""
    pairs = [(f.requester_ref, f.requester_display) for f in parsed.referrals.values()]
    pairs += [
        (f.performer_ref, f.performer_display)
        for f in (*parsed.referrals.values(), *parsed.evidence.values())
    ]
    return {ref for ref, name in pairs if ref and not name}


def _keep_newest(bucket: dict, facts) -> None:
    """Of the same resource twice in a page, keep the newer (the later one when they cannot be ordered)."""
    key = f"{getattr(facts, 'kind', '')}:{facts.fhir_ref}"
    if key not in bucket or version_order(facts.version, bucket[key].version) in (1, 0, None):
        bucket[key] = facts


def _newest(resources: list[dict], resource_type: str) -> datetime | None:
    """The page's candidate watermark, read as the sync reads it (ehr.sync_queries.newest_update)."""
    return newest_update(
        [r for r in resources if isinstance(r, dict) and r.get("resourceType") == resource_type]
    )
