"""Inferred links: which expectation an unreferenced Appointment, Encounter or consult note fulfils. Pure.

Oracle Health's Appointment has no basedOn, and many visits and notes name no ServiceRequest, so evidence
without references is matched on the same patient, a date in the window after the referral was written
(or after the discharge), and the referral's performer or specialty. Such links are marked inferred.
"""

import re
from collections.abc import Iterable

from .facts import DISCHARGE, ENCOUNTER, NOTE, EvidenceFacts, ReferralFacts
from .follow_up_rules import BUILT_IN, INPATIENT, REFERRAL, FollowUpRule, Rules, match_window

# Words of a referral's code or specialty that say nothing about the specialty itself.
_FILLER = frozenset(
    {"referral", "service", "services", "clinic", "physician", "consult", "consultation", "specialist"}
)
_WORD = re.compile(r"[a-z]{5,}")
# The rule of an expectation stored before rules had names (or built without one): its kind's default.
_BY_KIND = {DISCHARGE: INPATIENT}
# A stay that did not happen follows up nothing.
_VOID = ("entered-in-error", "cancelled")


def inferred_referrals(
    evidence: EvidenceFacts,
    referrals: Iterable[ReferralFacts],
    *,
    rules: Rules | None = None,
) -> list[ReferralFacts]:
    """At most one referral and one discharge `evidence` most likely fulfils: a performer match beats a
    specialty match, then the latest written expectation wins (ties broken by reference), so that a visit
    after a readmission follows up the readmission, not the stay before it."""
    best: dict[str, tuple] = {}
    for referral in referrals:
        score = match_score(evidence, referral, rules=rules)
        key = (score, referral.authored_on, referral.fhir_ref)
        if score and (referral.kind not in best or key > best[referral.kind][0]):
            best[referral.kind] = (key, referral)
    return [best[kind][1] for kind in sorted(best)]


def match_score(evidence: EvidenceFacts, referral: ReferralFacts, *, rules: Rules | None = None) -> int:
    """0: no match; 1: same specialty (for a discharge: any visit after it); 2: same performer.

    The expectation's follow-up rule (follow_up_rules.py) says which kinds of evidence count and within
    which window after the referral was written or the stay ended.
    """
    rules = rules if rules is not None else BUILT_IN
    rule = rules.get(referral.follow_up_rule) or rules[_BY_KIND.get(referral.kind, REFERRAL)]
    if referral.request_status in _VOID or not _counts(evidence, rule):
        return 0
    if not _in_window(evidence, referral, rule):
        return 0
    if referral.kind == DISCHARGE:
        return 1
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


def _counts(evidence: EvidenceFacts, rule: FollowUpRule) -> bool:
    return evidence.kind in rule.evidence and not (
        evidence.kind == ENCOUNTER and evidence.type_code in rule.not_visits
    )


def _in_window(evidence: EvidenceFacts, referral: ReferralFacts, rule: FollowUpRule) -> bool:
    if not evidence.patient_ref or evidence.patient_ref != referral.patient_ref or evidence.date is None:
        return False
    window = match_window(referral, rule)
    return window is not None and window[0] <= evidence.date.date() <= window[1]
