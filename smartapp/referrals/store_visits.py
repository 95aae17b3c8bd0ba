"""One visit, one item: a discharge or an encounter known first from the ADT feed ("adt-visit/<PV1-19>",
smartapp/adt/) becomes its FHIR Encounter's row when the sync brings that Encounter with the same visit
number (Encounter.identifier, mappers.visit_number), instead of a second item being added. The row keeps
its id, its care-team work and its evidence; only its reference changes, and the references to it.
Whichever source is newer then writes its facts (store_referrals.verdict on the versions): ADT rows carry
the newest MSH-7 folded as their lastUpdated. docs/adt.md.
"""

from collections.abc import Iterable

from .facts import ADT_VISIT_PREFIX, DISCHARGE, ENCOUNTER, EvidenceFacts, ReferralFacts, from_adt_feed
from .models import Evidence, Referral


def adt_referrals_adopt(connection: str, page: Iterable[ReferralFacts]) -> int:
    """Give the ADT-made discharge rows whose visit number a page's discharge carries that discharge's
    fhir_ref (and the evidence naming them the new target). Returns how many rows were adopted."""
    wanted = _wanted(page, DISCHARGE)
    if not wanted:
        return 0
    mine = Referral.objects.filter(connection=connection)
    rows = mine.filter(kind=DISCHARGE, visit_number__in=list(wanted), fhir_ref__startswith=ADT_VISIT_PREFIX)
    found = list(rows.values_list("pk", "fhir_ref", "visit_number"))
    if not found:  # the usual page: no ADT-only row to adopt, one query
        return 0
    taken = set(mine.filter(fhir_ref__in=list(wanted.values())).values_list("fhir_ref", flat=True))
    adopted = 0
    for pk, old_ref, visit_number in found:
        new_ref = wanted[visit_number]
        if new_ref in taken:
            continue  # the Encounter's own row exists already: nothing to adopt into it
        Evidence.objects.filter(connection=connection, target_ref=old_ref).update(target_ref=new_ref)
        adopted += Referral.objects.filter(pk=pk, fhir_ref=old_ref).update(fhir_ref=new_ref)
        taken.add(new_ref)
    return adopted


def adt_evidence_adopt(connection: str, page: Iterable[EvidenceFacts]) -> int:
    """The same for encounter evidence: the ADT-made rows of a visit ("adt-visit/<n>", its own row and the
    rows derived from it) become the rows of the page's Encounter with that visit number."""
    wanted = _wanted(page, ENCOUNTER)
    if not wanted:
        return 0
    mine = Evidence.objects.filter(connection=connection, kind=ENCOUNTER)
    rows = mine.filter(visit_number__in=list(wanted), fhir_ref__startswith=ADT_VISIT_PREFIX)
    found = set(rows.values_list("fhir_ref", "visit_number"))
    if not found:
        return 0
    taken = set(mine.filter(fhir_ref__in=list(wanted.values())).values_list("fhir_ref", flat=True))
    adopted = 0
    for old_ref, visit_number in found:
        new_ref = wanted[visit_number]
        if new_ref not in taken:
            adopted += mine.filter(fhir_ref=old_ref).update(fhir_ref=new_ref)
            taken.add(new_ref)
    return adopted


def _wanted(page: Iterable, kind: str) -> dict[str, str]:
    """visit number -> the FHIR reference of the page's item of `kind` carrying it."""
    return {
        facts.visit_number: facts.fhir_ref
        for facts in page
        if facts.kind == kind and facts.visit_number and not from_adt_feed(facts.fhir_ref)
    }
