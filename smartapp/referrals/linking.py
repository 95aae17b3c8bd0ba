"""Inferred links: which expectation an unreferenced Appointment, Encounter or consult note fulfils. Pure.

Oracle Health's Appointment has no basedOn, and many visits and notes name no ServiceRequest, so evidence
without references is matched on the same patient, a date in the window after the referral was written
(or after the discharge), and the referral's performer or specialty. Such links are marked inferred.
"""

import re
from collections.abc import Iterable
from datetime import timedelta

from .facts import APPOINTMENT, DISCHARGE, ENCOUNTER, HOSPITAL_CLASSES, NOTE, EvidenceFacts, ReferralFacts

# Words of a referral's code or specialty that say nothing about the specialty itself.
_FILLER = frozenset(
    {"referral", "service", "services", "clinic", "physician", "consult", "consultation", "specialist"}
)
_WORD = re.compile(r"[a-z]{5,}")


def inferred_referrals(
    evidence: EvidenceFacts, referrals: Iterable[ReferralFacts], *, window_days: int
) -> list[ReferralFacts]:
    """At most one referral and one discharge `evidence` most likely fulfils: a performer match beats a
    specialty match, then the latest written expectation wins (ties broken by reference)."""
    best: dict[str, tuple] = {}
    for referral in referrals:
        score = match_score(evidence, referral, window_days=window_days)
        key = (score, referral.authored_on, referral.fhir_ref)
        if score and (referral.kind not in best or key > best[referral.kind][0]):
            best[referral.kind] = (key, referral)
    return [best[kind][1] for kind in sorted(best)]


def match_score(evidence: EvidenceFacts, referral: ReferralFacts, *, window_days: int) -> int:
    """0: no match; 1: same specialty (for a discharge: any visit after it); 2: same performer."""
    if referral.request_status == "entered-in-error" or not _in_window(evidence, referral, window_days):
        return 0
    if referral.kind == DISCHARGE:
        visit = evidence.kind in (APPOINTMENT, ENCOUNTER) and evidence.type_code not in HOSPITAL_CLASSES
        return int(visit)
    if evidence.performer_ref and evidence.performer_ref == referral.performer_ref:
        return 2
    # A note proves little by specialty alone: any clinician of that specialty may have written it.
    return int(evidence.kind != NOTE and specialty_matches(evidence, referral))


def specialty_matches(evidence: EvidenceFacts, referral: ReferralFacts) -> bool:
    """Same specialty code, or a telling word of the referral's specialty ("cardiology") in the evidence's."""
    if evidence.specialty_code and evidence.specialty_code == referral.specialty_code:
        return True
    words = set(_WORD.findall(referral.specialty_display.casefold())) - _FILLER
    return any(word in evidence.specialty_text for word in words)


def _in_window(evidence: EvidenceFacts, referral: ReferralFacts, window_days: int) -> bool:
    if not evidence.patient_ref or evidence.patient_ref != referral.patient_ref:
        return False
    if evidence.date is None or referral.authored_on is None:
        return False
    return referral.authored_on <= evidence.date.date() <= referral.authored_on + timedelta(days=window_days)
