"""Upserting expectations (referrals and discharges) from one page, newest version only."""

from dataclasses import replace

from .facts import ReferralFacts, version_order
from .models import Evidence, Referral
from .rows import REFERRAL_FACT_FIELDS, VERSION_FIELDS, referral_facts, referral_row, same_facts
from .store_visits import adt_referrals_adopt

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
NAMED = (
    ("patient_ref", "patient_display"),
    ("requester_ref", "requester_display"),
    ("performer_ref", "performer_display"),
)


def verdict(new, stored, *, same) -> str:
    """created, updated or unchanged. An older version is unchanged (never written over a newer one); when
    the versions cannot be ordered, the content decides."""
    if stored is None:
        return CREATED
    order = version_order(new.version, stored.version)
    if order is None:
        return UNCHANGED if same else UPDATED
    return UPDATED if order > 0 else UNCHANGED


def referrals_upsert(connection: str, page: list[ReferralFacts], counts: dict) -> tuple[set[int], set[str]]:
    """Store the newer of `page`; returns the ids of the referrals written and their patients (old and new).

    Evidence that arrived before its referral is attached here, by the referral's fhir_ref. A discharge
    the ADT feed stored first under its visit number becomes this discharge's row (store_visits.py).
    """
    adt_referrals_adopt(connection, page)
    stored = {
        row.fhir_ref: row
        for row in Referral.objects.filter(connection=connection, fhir_ref__in=[f.fhir_ref for f in page])
    }
    changed, patients, moved = [], set(), []
    for facts in page:
        row = stored.get(facts.fhir_ref)
        old = referral_facts(row) if row else None
        facts = _names_kept(facts, old) if old else facts
        outcome = verdict(facts, old, same=old is not None and same_facts(facts, old))
        counts[outcome] += 1
        if outcome != UNCHANGED:
            changed.append(facts)
            patients |= {facts.patient_ref, old.patient_ref if old else ""}
            if old and old.patient_ref != facts.patient_ref:
                moved.append(facts.fhir_ref)
    if not changed:
        return set(), set()
    ids = _write(connection, changed)
    _patient_facts_forget(connection, moved)
    _attach_early_evidence(connection, ids)
    return set(ids.values()), patients - {""}


def _patient_facts_forget(connection: str, fhir_refs: list[str]) -> None:
    """Rows now naming another patient (a corrected subject) lose the previous patient's MRN, birth date,
    phone and their stamp: the new patient's come from the page's Patient, another row of that patient
    (store_names.patients_fill_known) or the ADT feed, never the wrong patient's number to call."""
    if fhir_refs:
        Referral.objects.filter(connection=connection, fhir_ref__in=fhir_refs).update(
            patient_mrn="", patient_birth_date=None, patient_phone="", patient_facts_at=None
        )


def _names_kept(facts: ReferralFacts, old: ReferralFacts) -> ReferralFacts:
    """A name stored from an included resource stays while the new version names the same one without
    saying its name (the page that brought it included nothing)."""
    kept = {
        display: getattr(old, display)
        for ref, display in NAMED
        if not getattr(facts, display) and getattr(facts, ref) == getattr(old, ref)
    }
    return replace(facts, **kept)


def _write(connection: str, changed: list[ReferralFacts]) -> dict[str, int]:
    Referral.objects.bulk_create(
        [referral_row(connection, facts) for facts in changed],
        update_conflicts=True,
        unique_fields=["connection", "fhir_ref"],
        update_fields=[*REFERRAL_FACT_FIELDS, *VERSION_FIELDS, "updated_at"],
    )
    refs = [facts.fhir_ref for facts in changed]
    return dict(
        Referral.objects.filter(connection=connection, fhir_ref__in=refs).values_list("fhir_ref", "pk")
    )


def _attach_early_evidence(connection: str, ids: dict[str, int]) -> None:
    orphans = list(
        Evidence.objects.filter(connection=connection, target_ref__in=list(ids), referral__isnull=True)
    )
    for row in orphans:
        row.referral_id = ids[row.target_ref]
    Evidence.objects.bulk_update(orphans, ["referral"])
