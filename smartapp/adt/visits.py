"""What a folded visit puts on the worklist, through the referrals store (one transaction: the caller's).

A discharged inpatient or emergency stay is a discharge follow-up, made by the FHIR mapper from the
visit's Encounter (encounter.py) so that its due date and rule are the FHIR path's. Any other visit is
encounter evidence, which the inferred matching may count as the follow-up of an earlier discharge. A
row the FHIR sync already made for the visit (same connection and visit number) is updated instead of a
second one added; the newer source wins: the ADT version is the newest MSH-7 folded (with the number of
messages folded as its version id, so that a late message with an older MSH-7 still makes a newer
version), compared with the row's meta.lastUpdated by the same rule as any other update (verdict).
The patient's facts (name, MRN, birth date, phone) have a clock of their own, Referral.patient_facts_at,
per patient (its newest stamp): the messages write them only when newer than every fact the patient's
items hold, so that a late resend, or a parked message linked days later, never undoes a FHIR read made
since, and a new item of the patient shows the same facts as the others.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date

from django.db.models import Max

from smartapp.referrals import mappers
from smartapp.referrals.facts import ADT_VISIT_PREFIX, DISCHARGE, ENCOUNTER, Version
from smartapp.referrals.follow_up_rules import Rules
from smartapp.referrals.models import Evidence, Referral
from smartapp.referrals.patient_facts import birth_date
from smartapp.referrals.recompute import states_recompute
from smartapp.referrals.relink import derived_relink
from smartapp.referrals.store_evidence import evidence_upsert
from smartapp.referrals.store_names import REFERRAL_PATIENT_FIELDS
from smartapp.referrals.store_referrals import referrals_upsert
from smartapp.referrals.tracking import horizon_apply

from .encounter import encounter_resource
from .fold import Visit

FACT_COLUMNS = list(REFERRAL_PATIENT_FIELDS)  # name, MRN, birth date, phone


def visit_apply(*, connection: str, visit: Visit, patient_ref: str, today: date, rules: Rules) -> int | None:
    """Store what `visit` of `patient_ref` means for follow-up; returns the id of its discharge row (None
    when it is no discharge). Idempotent: the same visit applied twice changes nothing."""
    touched: set[int] = set()
    if visit.visit_number:
        resource = encounter_resource(visit, patient_ref=patient_ref)
        touched |= _discharge_store(connection, visit, resource, rules)
        touched |= _evidence_store(connection, visit, resource)
        touched |= derived_relink(connection, {patient_ref}, rules=rules)
    patient_facts_update(connection=connection, patient_ref=patient_ref, visit=visit)
    states_recompute(touched, today=today)
    horizon_apply(connection=connection, today=today, ids=touched)
    return _discharge_id(connection, visit.visit_number) if visit.visit_number else None


def patient_facts_update(*, connection: str, patient_ref: str, visit: Visit) -> int:
    """Give the patient's stored items the name, MRN, birth date and phone the messages last sent (A08), when
    they are the newest the patient has: its clock is the latest stamp on any of its items (a FHIR read
    stamps them all). Newer messages write every item, stamped with their newest MSH-7; older ones (or
    ones without MSH-7, once anything is stamped) write nothing, and an item never stamped (a new one) takes
    the facts of the patient's newest item instead, so one patient never shows two names or phones.
    Only what the messages say: a field they leave empty keeps its stored value."""
    patient = visit.patient
    mrn = next((cx.value for cx in patient.identifiers if cx.type_code.upper() == "MR"), "")
    values = {
        "patient_display": patient.name[:200],
        "patient_mrn": mrn[:64],
        "patient_birth_date": birth_date(patient.birth_date),
        "patient_phone": patient.phone[:64],
    }
    values = {column: value for column, value in values.items() if value}
    rows = Referral.objects.filter(connection=connection, patient_ref=patient_ref)
    clock = rows.aggregate(newest=Max("patient_facts_at"))["newest"]
    if clock is None or (visit.newest_time is not None and clock < visit.newest_time):
        return rows.update(**values, patient_facts_at=visit.newest_time) if values else 0
    newest = rows.filter(patient_facts_at=clock).order_by("pk").values(*FACT_COLUMNS).first()
    return rows.filter(patient_facts_at__isnull=True).update(**newest, patient_facts_at=clock)


def _version(visit: Visit) -> Version:
    return Version(last_updated=visit.newest_time, version_id=str(visit.version))


def _discharge_store(connection: str, visit: Visit, resource: dict, rules: Rules) -> set[int]:
    facts = mappers.discharge(resource, rules=rules)
    if facts is None:
        return set()
    # The visit's row as stored (the FHIR sync's Encounter, or this feed's own), else a new ADT row.
    stored = _discharges(connection, visit.visit_number).values_list("fhir_ref", flat=True).first()
    facts = replace(
        facts,
        fhir_ref=stored or ADT_VISIT_PREFIX + visit.visit_number,
        visit_number=visit.visit_number,
        # No name here: the upsert keeps a stored one (_names_kept), and patient_facts_update, the one
        # writer of the patient's facts, gives the row the newest the patient has.
        patient_display="",
        requester_display=visit.attending.name[:200],
        version=_version(visit),
    )
    ids, _ = referrals_upsert(connection, [facts], defaultdict(int))
    return ids


def _evidence_store(connection: str, visit: Visit, resource: dict) -> set[int]:
    facts = mappers.encounter(resource)
    if facts is None:
        return set()  # a hospital stay: never the visit that follows one (follow_up_rules.NOT_A_VISIT)
    stored = (
        Evidence.objects.filter(connection=connection, kind=ENCOUNTER, visit_number=visit.visit_number)
        .order_by("pk")
        .values_list("fhir_ref", flat=True)
        .first()
    )
    facts = replace(
        facts,
        fhir_ref=stored or ADT_VISIT_PREFIX + visit.visit_number,
        visit_number=visit.visit_number,
        performer_display=visit.attending.name[:200],
        version=_version(visit),
    )
    ids, _ = evidence_upsert(connection, [facts], defaultdict(int))
    return ids


def _discharge_id(connection: str, visit_number: str) -> int | None:
    return _discharges(connection, visit_number).values_list("pk", flat=True).first()


def _discharges(connection: str, visit_number: str):
    """The visit's discharge rows, oldest first (one, but for a FHIR sync that brought two Encounters)."""
    rows = Referral.objects.filter(connection=connection, kind=DISCHARGE, visit_number=visit_number)
    return rows.order_by("pk")
