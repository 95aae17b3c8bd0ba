"""Follow-up rules: when the follow-up of a discharge or a referral is due, and which evidence, dated within
which window, counts as that follow-up when it names no ServiceRequest (an inferred link). Pure.

The table holds each rule with its source beside it (STYLE.md convention 11); docs/follow-up-rules.md says
the same for people. A deployment tunes the numbers in settings.REFERRAL_FOLLOW_UP_RULES (rule_table).
The applied rule's name is stored on each expectation (Referral.follow_up_rule), so that a due date can
always be explained and the matching window found again.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from . import elements as el
from .facts import APPOINTMENT, ENCOUNTER, HOSPITAL_CLASSES, NOTE, ReferralFacts

REFERRAL = "referral"
HEART_FAILURE = "discharge-heart-failure"
AMI = "discharge-ami"
COPD = "discharge-copd"
PNEUMONIA = "discharge-pneumonia"
INPATIENT = "discharge-inpatient"
EMERGENCY = "discharge-emergency"

# Encounter classes (v3 ActCode) that are another stay, not the visit that follows one: inpatient, acute,
# non-acute, observation, short stay, pre-admission, emergency.
NOT_A_VISIT = HOSPITAL_CLASSES | {"NONAC", "OBSENC", "SS", "PRENC"}
VISITS = frozenset({APPOINTMENT, ENCOUNTER})

HF_GUIDELINE = (
    "2022 AHA/ACC/HFSA Guideline for the Management of Heart Failure, section 9.6, recommendation 4: "
    "early follow-up generally within 7 days of discharge (https://doi.org/10.1161/CIR.0000000000001063)"
)
HRRP_TCM = (
    "CMS Hospital Readmissions Reduction Program condition (https://www.cms.gov/medicare/payment/"
    "prospective-payment-systems/acute-inpatient-pps/hospital-readmissions-reduction-program-hrrp); "
    "CMS Transitional Care Management, CPT 99495: face-to-face visit within 14 days of discharge "
    "(https://www.cms.gov/files/document/mln908628-transitional-care-management-services.pdf)"
)


@dataclass(frozen=True)
class FollowUpRule:
    """`due_days` after the start (the discharge day, a referral's authoredOn) the follow-up is due.
    Evidence naming no ServiceRequest is matched from the start until `match_days` after it (or the due
    date, when later): a late follow-up still counts, and the state says it was late. `evidence`: the
    kinds that may be matched; `not_visits`: encounter classes that never count."""

    name: str
    due_days: int
    match_days: int
    evidence: frozenset[str]
    not_visits: frozenset[str]
    source: str


@dataclass(frozen=True)
class Condition:
    """A discharge diagnosis: SNOMED CT codes, ICD-10 code prefixes (without dots), folded words."""

    snomed: frozenset[str]
    icd10: tuple[str, ...]
    words: tuple[str, ...]


_DISCHARGE = {"match_days": 365, "evidence": VISITS, "not_visits": NOT_A_VISIT}
RULES = (
    FollowUpRule(
        REFERRAL, due_days=30, match_days=120, evidence=VISITS | {NOTE}, not_visits=frozenset(),
        source="smartapp default: the requested date (occurrence), else 30 days after authoredOn "
        "(settings.REFERRAL_DEFAULT_DUE_DAYS)",
    ),
    FollowUpRule(HEART_FAILURE, due_days=7, source=HF_GUIDELINE, **_DISCHARGE),
    FollowUpRule(AMI, due_days=14, source=HRRP_TCM, **_DISCHARGE),
    FollowUpRule(COPD, due_days=14, source=HRRP_TCM, **_DISCHARGE),
    FollowUpRule(PNEUMONIA, due_days=14, source=HRRP_TCM, **_DISCHARGE),
    FollowUpRule(
        INPATIENT, due_days=30, **_DISCHARGE,
        source="smartapp default (issue 12), the 30-day window of CMS readmission measures and of TCM",
    ),
    FollowUpRule(
        EMERGENCY, due_days=7, **_DISCHARGE,
        source="NCQA HEDIS FMC, follow-up within 7 days of an emergency department visit "
        "(https://www.ncqa.org/hedis/measures/follow-up-after-emergency-department-visit-for-people-"
        "with-high-risk-multiple-chronic-conditions/)",
    ),
)  # fmt: skip

# Inpatient discharges with these diagnoses (Encounter.reasonCode, diagnosis, reasonReference) take the
# condition's rule; with several, the earliest due date wins. SNOMED CT: the concept and the descendants
# EHRs commonly send (https://browser.ihtsdotools.org); ICD-10-CM: the CMS HRRP cohort codes.
CONDITIONS = {
    HEART_FAILURE: Condition(
        snomed=frozenset({
            "84114007", "42343007", "88805009", "10633002", "85232009", "367363000", "703272007",
            "446221000", "10335000", "48447003", "56675007",
        }),
        icd10=("I50", "I110", "I130", "I132"),
        words=("heart failure",),
    ),
    AMI: Condition(
        snomed=frozenset({"22298006", "57054005", "401303003", "401314000"}),
        icd10=("I21", "I22"),
        words=("myocardial infarction",),
    ),
    COPD: Condition(
        snomed=frozenset({"13645005", "195951007", "185086009", "87433001"}),
        icd10=("J41", "J42", "J43", "J44"),
        words=("chronic obstructive", "copd", "emphysema"),
    ),
    PNEUMONIA: Condition(
        snomed=frozenset({"233604007", "385093006", "53084003", "75570004"}),
        icd10=("J12", "J13", "J14", "J15", "J16", "J17", "J18", "J690"),
        words=("pneumonia",),
    ),
}  # fmt: skip
BUILT_IN = {rule.name: rule for rule in RULES}
Rules = Mapping[str, FollowUpRule]  # by name, as rule_table gives them
SNOMED = ("http://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96")
ICD10 = (
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10",
    "urn:oid:2.16.840.1.113883.6.90",
    "urn:oid:2.16.840.1.113883.6.3",
)
TUNABLE = ("due_days", "match_days")
MAX_DAYS = 3650


class RulesInvalid(ValueError):
    """settings.REFERRAL_FOLLOW_UP_RULES names an unknown rule or a value that is not a number of days."""


def rule_table(
    overrides: Mapping | None = None, *, referral_due_days: int | None = None
) -> dict[str, FollowUpRule]:
    """The rules by name, with a deployment's overrides: {"discharge-inpatient": {"due_days": 14}}.
    `referral_due_days` (settings.REFERRAL_DEFAULT_DUE_DAYS) sets the referral rule's default due date;
    an override of the referral rule wins over it. Raises RulesInvalid for anything else."""
    table = {rule.name: rule for rule in RULES}
    if referral_due_days is not None:
        table[REFERRAL] = replace(table[REFERRAL], due_days=_days(REFERRAL, "due_days", referral_due_days))
    if not isinstance(overrides or {}, Mapping):
        raise RulesInvalid("REFERRAL_FOLLOW_UP_RULES must be a JSON object of rule names")
    for name, changes in (overrides or {}).items():
        if name not in table or not isinstance(changes, Mapping) or set(changes) - set(TUNABLE):
            raise RulesInvalid(f"REFERRAL_FOLLOW_UP_RULES: {str(name)[:64]!r} is not a rule, or sets "
                               f"something other than {', '.join(TUNABLE)}")  # fmt: skip
        values = {field: _days(name, field, value) for field, value in changes.items()}
        table[name] = replace(table[name], **values)
    return table


TITLES = {
    REFERRAL: "Referral",
    HEART_FAILURE: "Discharge with heart failure",
    AMI: "Discharge after a heart attack (acute myocardial infarction)",
    COPD: "Discharge with COPD",
    PNEUMONIA: "Discharge with pneumonia",
    INPATIENT: "Hospital discharge",
    EMERGENCY: "Emergency department visit",
}


def rule_description(rules: Rules, name: str) -> str:
    """What a rule expects, in words: "Discharge with heart failure: a visit within 7 days (a later one
    still counts, marked late)". The stored name when it is no rule of this deployment ("" for none)."""
    rule = rules.get(name)
    if rule is None:
        return name
    if name == REFERRAL:
        expects = f"seen by the date the referral asks for, else within {rule.due_days} days"
    else:
        expects = f"a visit within {rule.due_days} days"
    return f"{TITLES.get(name, name)}: {expects} (a later one still counts, marked late)"


def discharge_rule(rules: Rules, *, encounter_class: str, concepts) -> FollowUpRule:
    """The rule of a discharge: emergency visits have their own; an inpatient stay takes the rule of its
    diagnosis (`concepts`: CodeableConcepts), the earliest due if several, else the inpatient default."""
    if encounter_class == "EMER":
        return rules[EMERGENCY]
    matching = [rules[name] for name, condition in CONDITIONS.items() if has_condition(concepts, condition)]
    return min(matching, key=lambda rule: rule.due_days, default=rules[INPATIENT])


def has_condition(concepts, condition: Condition) -> bool:
    """True when a coding of `concepts` is one of the condition's codes, or a display or text names it."""
    for coding in (c for concept in el.dicts(concepts) for c in el.codings(concept)):
        system, code = el.text(coding.get("system"), 200), el.text(coding.get("code"), el.CODE_LIMIT)
        snomed = system in SNOMED or (not system and code.isdigit())
        icd10 = system in ICD10 or (not system and code[:1].isalpha())
        if (snomed and code in condition.snomed) or (icd10 and _icd10(code).startswith(condition.icd10)):
            return True
    words = el.concept_words(concepts)
    return any(word in words for word in condition.words)


def match_window(referral: ReferralFacts, rule: FollowUpRule) -> tuple[date, date] | None:
    """The days within which evidence naming no ServiceRequest may be matched to `referral` under `rule`:
    from its start to `match_days` after it, or to its due date when that is later; None without a start."""
    if referral.authored_on is None:
        return None
    end = referral.authored_on + timedelta(days=rule.match_days)
    return referral.authored_on, max(end, referral.due_date or end)


def _icd10(code: str) -> str:
    return code.replace(".", "").upper()


def _days(name, field: str, value) -> int:
    if type(value) is not int or not 0 <= value <= MAX_DAYS:
        raise RulesInvalid(
            f"REFERRAL_FOLLOW_UP_RULES: {str(name)[:64]!r} {field} must be 0 to {MAX_DAYS} days"
        )
    return value
