"""The patient picker's view of the sandbox's Patient resources."""

from dataclasses import dataclass

from smartapp.sandbox.models import Resource

PAGE_SIZE = 50


@dataclass(frozen=True)
class PatientChoice:
    fhir_id: str
    name: str
    birth_date: str
    gender: str


def find_patients(search: str = "", limit: int = PAGE_SIZE) -> list[PatientChoice]:
    """Patients whose name (or id) contains `search`, at most `limit` of them."""
    rows = Resource.objects.filter(resource_type="Patient").order_by("fhir_id")
    search = search.strip()
    if search:
        rows = rows.filter(body__name__icontains=search) | rows.filter(fhir_id__icontains=search)
    return [_choice(row.body) for row in rows[:limit]]


def _choice(body: dict) -> PatientChoice:
    return PatientChoice(
        fhir_id=body.get("id", ""),
        name=display_name(body),
        birth_date=body.get("birthDate", ""),
        gender=body.get("gender", ""),
    )


def display_name(body: dict) -> str:
    """ "Given Family" from the first HumanName (its `text` if it has one)."""
    names = body.get("name") or [{}]
    first = names[0] if isinstance(names[0], dict) else {}
    if first.get("text"):
        return first["text"]
    return " ".join([*first.get("given", []), first.get("family", "")]).strip() or body.get("id", "")
