"""Upserting evidence from one page: the newest version of each resource, one row per target it names."""

from collections import defaultdict
from dataclasses import replace

from .facts import DERIVED_LINKS, EvidenceFacts
from .models import Evidence, Referral
from .rows import EVIDENCE_FACT_FIELDS, VERSION_FIELDS, evidence_facts, evidence_row, same_facts
from .store_referrals import UNCHANGED, verdict
from .store_visits import adt_evidence_adopt

NATURAL_KEY = ["connection", "kind", "fhir_ref", "target_ref"]


def evidence_upsert(connection: str, page: list[EvidenceFacts], counts: dict) -> tuple[set[int], set[str]]:
    """Store the newer of `page`; returns the referral ids whose evidence changed and the patients
    (old and new) of the changed resources, whose derived links need another look.

    Each resource gets a row per ServiceRequest it references (linked to the referral once that is
    stored), or a single row with target_ref "" when it references none. Rows derived from it (inferred,
    or through its encounter) get the new facts too, and relink.derived_relink decides if they still hold.
    An encounter the ADT feed stored first under its visit number becomes this Encounter's rows
    (store_visits.py).
    """
    adt_evidence_adopt(connection, page)
    stored = _stored_rows(connection, page)
    page = [_name_kept(facts, stored.get((facts.kind, facts.fhir_ref), [])) for facts in page]
    changed = [facts for facts in page if _judge(facts, stored.get((facts.kind, facts.fhir_ref), []), counts)]
    if not changed:
        return set(), set()
    referral_ids = _referral_ids(connection, {ref for facts in changed for ref, _ in facts.targets})
    rows, stale = [], []
    for facts in changed:
        old_rows = stored.get((facts.kind, facts.fhir_ref), [])
        new_rows = _rows_for(connection, facts, old_rows, referral_ids)
        rows += new_rows
        kept = {row.target_ref for row in new_rows}
        stale += [row for row in old_rows if row.target_ref not in kept]
    Evidence.objects.filter(pk__in=[row.pk for row in stale]).delete()
    Evidence.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=NATURAL_KEY,
        update_fields=[
            *EVIDENCE_FACT_FIELDS,
            *VERSION_FIELDS,
            "link",
            "referral",
            "updated_at",
        ],
    )
    touched = {row.referral_id for row in [*rows, *stale] if row.referral_id}
    patients = {facts.patient_ref for facts in changed}
    patients |= {row.patient_ref for facts in changed for row in stored.get((facts.kind, facts.fhir_ref), [])}
    return touched, patients - {""}


def _stored_rows(connection: str, page: list[EvidenceFacts]) -> dict[tuple[str, str], list[Evidence]]:
    grouped = defaultdict(list)
    for row in Evidence.objects.filter(connection=connection, fhir_ref__in=[f.fhir_ref for f in page]):
        grouped[row.kind, row.fhir_ref].append(row)
    return grouped


def _name_kept(facts: EvidenceFacts, old_rows: list[Evidence]) -> EvidenceFacts:
    """A performer's stored name (from an included resource) stays while the new version names the same
    performer without saying the name."""
    old = old_rows[0] if old_rows else None
    if old is None or facts.performer_display or facts.performer_ref != old.performer_ref:
        return facts
    return replace(facts, performer_display=old.performer_display)


def _judge(facts: EvidenceFacts, old_rows: list[Evidence], counts: dict) -> bool:
    """Count the resource as created, updated or unchanged; True when it must be written."""
    old = evidence_facts(old_rows[0]) if old_rows else None
    same = old is not None and same_facts(facts, old) and _own_targets(old_rows) == _targets(facts)
    outcome = verdict(facts, old, same=same)
    counts[outcome] += 1
    return outcome != UNCHANGED


def _rows_for(connection, facts: EvidenceFacts, old_rows: list[Evidence], referral_ids) -> list[Evidence]:
    """The resource's own rows, then its derived rows (carrying the new facts) unless now its own."""
    links = dict(facts.targets) or {"": ""}
    rows = [
        evidence_row(connection, facts, target_ref=target, link=link, referral_id=referral_ids.get(target))
        for target, link in links.items()
    ]
    rows += [
        evidence_row(connection, facts, target_ref=row.target_ref, link=row.link, referral_id=row.referral_id)
        for row in old_rows
        if row.link in DERIVED_LINKS and row.target_ref not in links
    ]
    return rows


def _referral_ids(connection: str, refs: set[str]) -> dict[str, int]:
    if not refs:
        return {}
    query = Referral.objects.filter(connection=connection, fhir_ref__in=list(refs))
    return dict(query.values_list("fhir_ref", "pk"))


def _own_targets(rows: list[Evidence]) -> set[str]:
    return {row.target_ref for row in rows if row.link not in DERIVED_LINKS}


def _targets(facts: EvidenceFacts) -> set[str]:
    return {ref for ref, _ in facts.targets} or {""}
