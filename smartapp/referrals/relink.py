"""Derived links, recomputed per patient: a note tied to a referral through its encounter, and inferred
matches (linking.py) for resources that reference no ServiceRequest. Order-independent: whichever of a
referral and its evidence arrives first, the links after both are stored are the same."""

from collections import defaultdict

from .facts import DERIVED_LINKS, ENCOUNTER, ENCOUNTER_LINK, INFERRED, NOTE
from .follow_up_rules import Rules
from .linking import inferred_referrals
from .models import Evidence, Referral
from .rows import evidence_facts, evidence_row, referral_facts


def derived_relink(connection: str, patients: set[str], *, rules: Rules | None = None) -> set[int]:
    """Bring the derived rows of these patients' evidence up to date under the follow-up `rules` (the
    built-in ones when None); returns the referral ids affected."""
    if not patients:
        return set()
    referrals = list(Referral.objects.filter(connection=connection, patient_ref__in=list(patients)))
    resources = defaultdict(list)
    for row in Evidence.objects.filter(connection=connection, patient_ref__in=list(patients)):
        resources[row.kind, row.fhir_ref].append(row)
    wanted = _wanted(connection, resources, referrals, rules)
    existing = {_key(row): row for rows in resources.values() for row in rows if row.link in DERIVED_LINKS}
    stale = [row for key, row in existing.items() if not _same(wanted.get(key), row)]
    fresh = [row for key, row in wanted.items() if not _same(row, existing.get(key))]
    Evidence.objects.filter(pk__in=[row.pk for row in stale]).delete()
    # A conflict can only be the same row written by a concurrent sync of this connection.
    Evidence.objects.bulk_create(fresh, ignore_conflicts=True)
    return {row.referral_id for row in [*stale, *fresh] if row.referral_id}


def _wanted(connection, resources, referrals, rules: Rules | None) -> dict[tuple, Evidence]:
    through = _encounter_targets(resources)
    candidates = [referral_facts(r) for r in referrals]
    ids = {r.fhir_ref: r.pk for r in referrals}
    wanted = {}
    for rows in resources.values():
        base = next((row for row in rows if row.target_ref == ""), None)
        if base is None:
            continue  # it references a ServiceRequest itself: nothing to derive
        facts = evidence_facts(base)
        if base.kind == NOTE and through.get(base.via_ref):
            links = [(row.target_ref, ENCOUNTER_LINK, row.referral_id) for row in through[base.via_ref]]
        else:
            matches = inferred_referrals(facts, candidates, rules=rules)
            links = [(match.fhir_ref, INFERRED, ids[match.fhir_ref]) for match in matches]
        for target, link, referral_id in links:
            row = evidence_row(connection, facts, target_ref=target, link=link, referral_id=referral_id)
            wanted[_key(row)] = row
    return wanted


def _encounter_targets(resources) -> dict[str, list[Evidence]]:
    """Encounter ref -> its rows naming a ServiceRequest (not the inferred ones: a guess is not passed on)."""
    return {
        fhir_ref: [row for row in rows if row.target_ref and row.link not in DERIVED_LINKS]
        for (kind, fhir_ref), rows in resources.items()
        if kind == ENCOUNTER
    }


def _key(row: Evidence) -> tuple:
    return (row.kind, row.fhir_ref, row.target_ref)


def _same(a: Evidence | None, b: Evidence | None) -> bool:
    return a is not None and b is not None and (a.link, a.referral_id) == (b.link, b.referral_id)
