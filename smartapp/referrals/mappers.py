"""Pure functions from FHIR R4 JSON to follow-up facts. No I/O; tolerant of messy vendor data.

Each mapper raises elements.Unparseable for a resource too broken to store (the store counts it as
skipped) and returns None for a well-formed resource that is not follow-up data (ignored).
"""

from collections.abc import Mapping
from datetime import timedelta

from smartapp.core.display_text import text as display_text
from smartapp.ehr.names import human_name

from . import elements as el
from . import follow_up_rules as rules_
from .facts import (
    APPOINTMENT,
    BASED_ON,
    CONSULT_NOTE_LOINC,
    DISCHARGE,
    ENCOUNTER,
    FOCUS,
    HOSPITAL_CLASSES,
    NOTE,
    REFERRAL,
    RELATED,
    TASK,
    EvidenceFacts,
    ReferralFacts,
)
from .people import display_for

PATIENT_REFERRAL = "3457005"  # SNOMED CT "Patient referral", the category US Core and the sandbox use
PEOPLE = ("Practitioner/", "PractitionerRole/", "Organization/", "CareTeam/")
CLINICIANS = PEOPLE[:2]
# Encounter.status values that end a stay's follow-up expectation as it is (finished) or cancel it.
STAY_STATUSES = ("finished", "entered-in-error", "cancelled")
Names = Mapping[str, str] | None  # "Practitioner/1" -> a name, from the resources a page included
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types; VN = visit number
VISIT_NUMBER_LIMIT = 64
_CLASS_WORDS = {"inpatient": "IMP", "emergency": "EMER"}


def service_request(
    resource, *, default_due_days: int, patient_names: Names = None, people: Names = None
) -> ReferralFacts | None:
    """A referral, or None for a ServiceRequest of another category (lab order, imaging...).

    The due date (follow-up rule "referral") is occurrenceDateTime, else occurrencePeriod.end, else
    authoredOn + `default_due_days`. `patient_names` maps "Patient/<id>" to a display name and `people`
    "Practitioner/<id>" (and roles, organizations, care teams) to names, from resources a page included.
    """
    fhir_ref = el.own_ref(resource, "ServiceRequest")
    if not is_referral(resource):
        return None
    authored = el.parse_date(resource.get("authoredOn"))
    specialty_code, specialty_display = _specialty(resource)
    patient_ref = _keyed(el.reference_key(resource.get("subject")), "Patient/")
    return ReferralFacts(
        fhir_ref=fhir_ref,
        kind=REFERRAL,
        request_status=el.code(resource.get("status")) or "unknown",
        patient_ref=patient_ref,
        patient_display=_subject_display(resource, (patient_names or {}).get(patient_ref, "")),
        **_named("requester", resource, resource.get("requester"), people),
        **_named("performer", resource, resource.get("performer"), people),
        specialty_code=specialty_code,
        specialty_display=specialty_display,
        reason=el.first_coding(resource.get("reasonCode"))[1],
        authored_on=authored,
        due_date=_due_date(resource) or (authored + timedelta(days=default_due_days) if authored else None),
        follow_up_rule=rules_.REFERRAL,
        version=el.version_of(resource),
    )


def is_referral(resource: dict) -> bool:
    """Category "Patient referral" (SNOMED 3457005) or any category saying referral; with no category at
    all, a code saying referral ("Referral to cardiology service")."""
    categories = el.dicts(resource.get("category"))
    if not categories:
        return "referral" in el.concept_words(resource.get("code"))
    codes = {el.text(c.get("code"), el.CODE_LIMIT) for cat in categories for c in el.codings(cat)}
    return PATIENT_REFERRAL in codes or "referral" in el.concept_words(categories)


def patient_name(resource) -> str:
    """A Patient's official (else first usable) name as one display string, or ""."""
    names = resource.get("name") if isinstance(resource, dict) else None
    return display_text(human_name(names), el.TEXT_LIMIT)


def task(resource, people: Names = None) -> EvidenceFacts | None:
    """A Task about a ServiceRequest (basedOn or focus), else None."""
    fhir_ref = el.own_ref(resource, "Task")
    based_on = el.keys_of_type(resource.get("basedOn"), "ServiceRequest")
    focus = [k for k in el.keys_of_type(resource.get("focus"), "ServiceRequest") if k not in based_on]
    if not based_on and not focus:
        return None
    code, display = el.first_coding(resource.get("businessStatus"))
    return EvidenceFacts(
        kind=TASK,
        fhir_ref=fhir_ref,
        status=el.code(resource.get("status")),
        business_status=display or code,
        date=el.parse_fhir_datetime(resource.get("lastModified"))
        or el.parse_fhir_datetime(resource.get("authoredOn")),
        **_named("performer", resource, resource.get("owner"), people),
        patient_ref=_keyed(el.reference_key(resource.get("for")), "Patient/"),
        targets=tuple((k, BASED_ON) for k in based_on) + tuple((k, FOCUS) for k in focus),
        version=el.version_of(resource),
    )


def appointment(resource, people: Names = None) -> EvidenceFacts:
    """An Appointment; its patient and practitioner come from the participants (R4 has no subject)."""
    fhir_ref = el.own_ref(resource, "Appointment")
    participants = [p.get("actor") for p in el.dicts(resource.get("participant"))]
    actors = [el.reference_key(actor) for actor in participants]
    concepts = [*el.dicts(resource.get("specialty")), *el.dicts(resource.get("serviceType"))]
    code, display = el.first_coding(concepts)
    return EvidenceFacts(
        kind=APPOINTMENT,
        fhir_ref=fhir_ref,
        status=el.code(resource.get("status")),
        date=el.parse_fhir_datetime(resource.get("start")),
        **_named("performer", resource, participants, people, kinds=CLINICIANS),
        specialty_code=code,
        specialty_text=el.concept_words(concepts)[: el.TEXT_LIMIT] or display.casefold(),
        patient_ref=next((a for a in actors if a.startswith("Patient/")), ""),
        targets=_based_on(resource),
        version=el.version_of(resource),
    )


def encounter(resource, people: Names = None, *, visit_system: str = "") -> EvidenceFacts | None:
    """An Encounter as evidence; None for a hospital stay not based on a referral (see `discharge`).
    `visit_system`: the registration's `[adt] visit_system` (see `visit_number`)."""
    fhir_ref = el.own_ref(resource, "Encounter")
    klass, targets = encounter_class(resource), _based_on(resource)
    if klass in HOSPITAL_CLASSES and not targets:
        return None
    individuals = [p.get("individual") for p in el.dicts(resource.get("participant"))]
    concepts = [*el.dicts(resource.get("serviceType")), *el.dicts(resource.get("type"))]
    period = resource.get("period") if isinstance(resource.get("period"), dict) else {}
    return EvidenceFacts(
        kind=ENCOUNTER,
        fhir_ref=fhir_ref,
        status=el.code(resource.get("status")),
        date=el.parse_fhir_datetime(period.get("start")) or el.parse_fhir_datetime(period.get("end")),
        **_named("performer", resource, individuals, people, kinds=CLINICIANS),
        specialty_code=el.first_coding(concepts)[0],
        specialty_text=el.concept_words(concepts)[: el.TEXT_LIMIT],
        patient_ref=_keyed(el.reference_key(resource.get("subject")), "Patient/"),
        type_code=klass,
        targets=targets,
        visit_number=visit_number(resource, visit_system=visit_system),
        version=el.version_of(resource),
    )


def discharge(
    resource, *, rules: rules_.Rules | None = None, people: Names = None, visit_system: str = ""
) -> ReferralFacts | None:
    """The follow-up expected after a finished inpatient or emergency Encounter, due period.end + the
    days of its follow-up rule (by class and diagnosis, follow_up_rules.py; `rules` as configured, else
    the built-in table); None for any other Encounter. The Encounter's status is kept as it is: a stay
    later cancelled or entered in error cancels its follow-up. Its visit number (`visit_number`) is what
    merges it with the same stay known from the ADT feed."""
    fhir_ref = el.own_ref(resource, "Encounter")
    period = resource.get("period") if isinstance(resource.get("period"), dict) else {}
    ended, status = el.parse_date(period.get("end")), el.code(resource.get("status"))
    klass = encounter_class(resource)
    if klass not in HOSPITAL_CLASSES or not ended or status not in STAY_STATUSES:
        return None
    diagnoses = _diagnoses(resource)
    table = rules if rules is not None else rules_.BUILT_IN
    rule = rules_.discharge_rule(table, encounter_class=klass, concepts=diagnoses)
    individuals = [p.get("individual") for p in el.dicts(resource.get("participant"))]
    return ReferralFacts(
        fhir_ref=fhir_ref,
        kind=DISCHARGE,
        request_status=status,
        patient_ref=_keyed(el.reference_key(resource.get("subject")), "Patient/"),
        patient_display=_subject_display(resource, ""),
        **_named("requester", resource, individuals, people),
        reason=next((words for concept in diagnoses if (words := el.first_coding(concept)[1])), ""),
        authored_on=ended,
        due_date=ended + timedelta(days=rule.due_days),
        follow_up_rule=rule.name,
        visit_number=visit_number(resource, visit_system=visit_system),
        version=el.version_of(resource),
    )


def consult_note(resource, people: Names = None) -> EvidenceFacts | None:
    """A DocumentReference that is a consult note (LOINC 11488-4) or written for a ServiceRequest."""
    fhir_ref = el.own_ref(resource, "DocumentReference")
    context = resource.get("context") if isinstance(resource.get("context"), dict) else {}
    types = {el.text(c.get("code"), el.CODE_LIMIT) for c in el.codings(resource.get("type"))}
    targets = tuple((k, RELATED) for k in el.keys_of_type(context.get("related"), "ServiceRequest"))
    if CONSULT_NOTE_LOINC not in types and not targets:
        return None
    status = el.code(resource.get("status"))
    if el.code(resource.get("docStatus")) == "entered-in-error":
        status = "entered-in-error"
    period = context.get("period") if isinstance(context.get("period"), dict) else {}
    setting = context.get("practiceSetting")
    return EvidenceFacts(
        kind=NOTE,
        fhir_ref=fhir_ref,
        status=status,
        date=el.parse_fhir_datetime(resource.get("date")) or el.parse_fhir_datetime(period.get("start")),
        **_named("performer", resource, resource.get("author"), people),
        specialty_code=el.first_coding(setting)[0],
        specialty_text=el.concept_words(setting)[: el.TEXT_LIMIT],
        patient_ref=_keyed(el.reference_key(resource.get("subject")), "Patient/"),
        type_code=CONSULT_NOTE_LOINC if CONSULT_NOTE_LOINC in types else min(types, default="")[:64],
        via_ref=next(iter(el.keys_of_type(context.get("encounter"), "Encounter")), ""),
        targets=targets,
        version=el.version_of(resource),
    )


def visit_number(resource: dict, *, visit_system: str = "") -> str:
    """The Encounter's visit number (the HL7 v2 PV1-19 its hospital's ADT feed sends): the identifier of
    `visit_system` (the registration's `[adt] visit_system`), else the first typed VN (v2-0203); ""."""
    identifiers = [i for i in el.dicts(resource.get("identifier")) if el.text(i.get("value"))]
    typed = [i for i in identifiers if ("VN" in _type_codes(i))]
    by_system = [i for i in identifiers if visit_system and el.text(i.get("system"), 1000) == visit_system]
    chosen = (by_system or typed or [{}])[0]
    value = el.text(chosen.get("value"), 1000)
    return value if len(value) <= VISIT_NUMBER_LIMIT else ""


def _type_codes(identifier: dict) -> set[str]:
    concept = identifier.get("type")
    return {
        el.text(c.get("code"), el.CODE_LIMIT).upper()
        for c in el.codings(concept)
        if el.text(c.get("system"), 200) in (V2_0203, "")
    }


def encounter_class(resource: dict) -> str:
    """Encounter.class as a v3 ActCode ("IMP"), from a Coding, a CodeableConcept or a list of them."""
    for coding in (c for concept in el.dicts(resource.get("class")) for c in el.codings(concept)):
        if code := el.text(coding.get("code"), el.CODE_LIMIT).upper():
            return code
    words = el.concept_words(resource.get("class"))
    return next((klass for word, klass in _CLASS_WORDS.items() if word in words), "")


def _based_on(resource: dict) -> tuple[tuple[str, str], ...]:
    # incomingReferral is the STU3 name of basedOn; some R4 endpoints still send it.
    keys = el.keys_of_type(
        [*el.dicts(resource.get("basedOn")), *el.dicts(resource.get("incomingReferral"))], "ServiceRequest"
    )
    return tuple((k, BASED_ON) for k in keys)


def _named(role: str, resource: dict, references, people: Names, kinds=PEOPLE) -> dict[str, str]:
    """{"<role>_ref": key, "<role>_display": name} of the first of `references` naming one of `kinds`."""
    for reference in el.dicts(references):
        if (key := _person(resource, reference)).startswith(kinds):
            name = display_for(resource, reference, key, people or {})
            return {f"{role}_ref": key, f"{role}_display": name}
    return {f"{role}_ref": "", f"{role}_display": ""}


def _diagnoses(resource: dict) -> list[dict]:
    """The stay's diagnoses as CodeableConcepts: reasonCode, and the Conditions of diagnosis and
    reasonReference (a contained one's code, else the reference's display as text)."""
    references = [d.get("condition") for d in el.dicts(resource.get("diagnosis"))]
    references += el.dicts(resource.get("reasonReference"))
    concepts = el.dicts(resource.get("reasonCode"))
    for reference in el.dicts(references):
        condition = el.contained(resource, reference)
        display = el.text(reference.get("display"))
        concepts += el.dicts(condition.get("code")) or ([{"text": display}] if display else [])
    return concepts


def _person(resource: dict, reference) -> str:
    """A practitioner-like key; a contained PractitionerRole stands for the practitioner it names."""
    key = el.reference_key(reference)
    if not key:
        key = el.reference_key(el.contained(resource, reference).get("practitioner"))
    return key if key.startswith(PEOPLE) else ""


def _specialty(resource: dict) -> tuple[str, str]:
    # performerType is where FHIR puts the wanted specialty; many EHRs only code the request itself.
    for concepts in (
        resource.get("performerType"),
        *(el.contained(resource, p).get("specialty") for p in el.dicts(resource.get("performer"))),
        resource.get("code"),
    ):
        code, display = el.first_coding(concepts)
        if code or display:
            return code, display
    return "", ""


def _subject_display(resource: dict, included_name: str) -> str:
    subject = resource.get("subject") if isinstance(resource.get("subject"), dict) else {}
    return el.text(subject.get("display")) or patient_name(el.contained(resource, subject)) or included_name


def _due_date(resource: dict):
    period = resource.get("occurrencePeriod") if isinstance(resource.get("occurrencePeriod"), dict) else {}
    return el.parse_date(resource.get("occurrenceDateTime")) or el.parse_date(period.get("end"))


def _keyed(key: str, prefix: str) -> str:
    return key if key.startswith(prefix) else ""
