"""Upserting expectations (referrals and discharges) from one page, newest version only."""

from dataclasses import replace

from .facts import ReferralFacts, version_order
from .models import Evidence, Referral
from .rows import REFERRAL_FACT_FIELDS, VERSION_FIELDS, referral_facts, referral_row, same_facts

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


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

    Evidence that arrived before its referral is attached here, by the referral's fhir_ref.
    """
    stored = {
        row.fhir_ref: row
        for row in Referral.objects.filter(connection=connection, fhir_ref__in=[f.fhir_ref for f in page])
    }
    changed, patients = [], set()
    for facts in page:
        row = stored.get(facts.fhir_ref)
        old = referral_facts(row) if row else None
        if old and not facts.patient_display and facts.patient_ref == old.patient_ref:
            facts = replace(
                facts, patient_display=old.patient_display
            )  # the name came from an included Patient
        outcome = verdict(facts, old, same=old is not None and same_facts(facts, old))
        counts[outcome] += 1
        if outcome != UNCHANGED:
            changed.append(facts)
            patients |= {facts.patient_ref, old.patient_ref if old else ""}
    if not changed:
        return set(), set()
    ids = _write(connection, changed)
    _attach_early_evidence(connection, ids)
    return set(ids.values()), patients - {""}


def patient_names_update(connection: str, names: dict[str, str]) -> set[int]:
    """Give stored expectations of these patients the names from included Patient resources."""
    if not names:
        return set()
    rows = [
        row
        for row in Referral.objects.filter(connection=connection, patient_ref__in=list(names))
        if names[row.patient_ref] and row.patient_display != names[row.patient_ref]
    ]
    for row in rows:
        row.patient_display = names[row.patient_ref]
    Referral.objects.bulk_update(rows, ["patient_display"])
    return {row.pk for row in rows}


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
