"""Small builders for the FHIR R4 data types the generator repeats: codings, references, dates."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# Every generated resource is tagged as test data (v3-ActReason HTEST), so that nobody mistakes it for PHI.
SYNTHETIC_TAG = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
    "code": "HTEST",
    "display": "test health data",
}


def resource(resource_type: str, resource_id: str, **elements) -> dict:
    """A resource body with its type, id and the synthetic-data tag, then `elements` in order."""
    return {
        "resourceType": resource_type,
        "id": resource_id,
        "meta": {"tag": [dict(SYNTHETIC_TAG)]},
        **elements,
    }


def coding(system: str, code: str, display: str) -> dict:
    """One Coding."""
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str, text: str | None = None) -> dict:
    """A CodeableConcept with one coding; `text` defaults to the display."""
    return {"coding": [coding(system, code, display)], "text": text or display}


def ref(resource_type: str, resource_id: str, display: str | None = None) -> dict:
    """A relative Reference such as {"reference": "Patient/pat-001"}."""
    reference = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


@dataclass(frozen=True)
class Clock:
    """Dates relative to the anchor day, so that "overdue" stays overdue whenever the data is generated."""

    anchor: date

    def day(self, offset_days: int) -> date:
        """The day `offset_days` after the anchor (negative: before)."""
        return self.anchor + timedelta(days=offset_days)

    def date(self, offset_days: int) -> str:
        """A FHIR date."""
        return self.day(offset_days).isoformat()

    def instant(self, offset_days: int, hour: int = 9, minute: int = 0) -> str:
        """A FHIR instant (UTC) on the day `offset_days` from the anchor."""
        moment = datetime.combine(self.day(offset_days), time(hour, minute))
        return moment.strftime("%Y-%m-%dT%H:%M:00Z")
