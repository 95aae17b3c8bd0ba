"""Encounters: inpatient stays (with a discharge summary), emergency visits and office visits."""

from . import catalog
from .chart import Chart
from .elements import coding, concept, ref, resource
from .notes import note
from .terminology import ACT_CODE, DISCHARGE_DISPOSITION, ENCOUNTER_CLASSES, ENCOUNTER_TYPES, SNOMED
from .visits import visit_identifier


def encounters_for(chart: Chart) -> list[dict]:
    """The patient's encounters outside referrals, with the notes written for them."""
    rng = chart.rng
    out = []
    if chart.patient_id == catalog.INPATIENT_PATIENT_ID:
        out += admission(chart, -8, -3, encounter_id=catalog.INPATIENT_ENCOUNTER_ID)
        out += admission(chart, -420, -416)
    elif rng.random() < 0.15:
        start = -rng.randint(20, 900)
        out += admission(chart, start, start + rng.randint(1, 6))
    if chart.patient_id == catalog.EMERGENCY_PATIENT_ID:
        out += emergency_visit(chart, -2, encounter_id=catalog.EMERGENCY_ENCOUNTER_ID)
    elif rng.random() < 0.2:
        out += emergency_visit(chart, -rng.randint(5, 900))
    out.append(encounter(chart, chart.next_id("enc"), "AMB", -rng.randint(5, 300), practitioner=chart.pcp_id))
    return out


def admission(chart: Chart, admitted: int, discharged: int, encounter_id: str | None = None) -> list[dict]:
    """A finished inpatient stay (class IMP; period.end is the discharge) and its discharge summary."""
    encounter_id = encounter_id or chart.next_id("enc")
    stay = encounter(chart, encounter_id, "IMP", admitted, discharged, practitioner=catalog.HOSPITALIST_ID)
    stay["hospitalization"] = {"dischargeDisposition": concept(DISCHARGE_DISPOSITION, "home", "Home")}
    summary = note(chart, "hospital-medicine", "discharge", discharged, encounter=encounter_id)
    return [stay, *summary]


def emergency_visit(chart: Chart, day: int, encounter_id: str | None = None) -> list[dict]:
    """A finished emergency visit (class EMER) and the emergency physician's note."""
    encounter_id = encounter_id or chart.next_id("enc")
    visit = encounter(chart, encounter_id, "EMER", day, practitioner=catalog.EMERGENCY_PHYSICIAN_ID)
    return [visit, *note(chart, "emergency-medicine", "progress", day, encounter=encounter_id, kind="html")]


def encounter(
    chart: Chart, encounter_id: str, klass: str, start: int, end: int | None = None, **options
) -> dict:
    """A finished Encounter of class `klass` (IMP, EMER or AMB) from day `start` to day `end`.

    Options: practitioner (id), type (a key of ENCOUNTER_TYPES, default the class), referral (a
    ServiceRequest id for basedOn).
    """
    same_day = end is None
    type_code, type_display = ENCOUNTER_TYPES[options.get("type", klass)]
    body = resource("Encounter", encounter_id, identifier=[visit_identifier(encounter_id)], status="finished")
    body["class"] = coding(ACT_CODE, klass, ENCOUNTER_CLASSES[klass])
    body["type"] = [concept(SNOMED, type_code, type_display)]
    body["subject"] = chart.subject
    if referral := options.get("referral"):
        body["basedOn"] = [ref("ServiceRequest", referral)]
    if practitioner := options.get("practitioner"):
        body["participant"] = [{"individual": ref("Practitioner", practitioner)}]
    body["period"] = {
        "start": chart.clock.instant(start, hour=9 if same_day else 14),
        "end": chart.clock.instant(start if same_day else end, hour=11 if same_day else 12),
    }
    hospital = klass in ("IMP", "EMER")
    body["serviceProvider"] = ref(
        "Organization", catalog.ORGANIZATION_IDS["hospital" if hospital else "clinics"]
    )
    return body
