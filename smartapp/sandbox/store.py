"""Writing FHIR resources into the sandbox, with the search columns derived from the JSON."""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from smartapp.sandbox.models import Resource

# Which element holds the Patient reference, per resource type.
_PATIENT_REF = {
    "AllergyIntolerance": "patient",
    "Appointment": None,  # participant[].actor, handled below
    "Task": "for",
}
# Which element is the resource's own date for the `date` search (and its R4 aliases).
_DATE_PATH = {
    "AllergyIntolerance": ("recordedDate",),
    "Appointment": ("start",),
    "DocumentReference": ("date",),
    "Encounter": ("period", "start"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("effectiveDateTime",),
    "ServiceRequest": ("authoredOn",),
    "Task": ("authoredOn",),
}
_TYPE_PATH = {"DocumentReference": "type", "Encounter": "type", "Appointment": "appointmentType"}


def save_resource(
    body: dict, *, patient_id: str | None = None, last_updated: datetime | None = None
) -> Resource:
    """Insert or replace `body` (which must carry resourceType and id), bumping its version.

    `patient_id` overrides the compartment read from the resource (a Binary names no patient itself).
    """
    fields = index_fields(body)
    if patient_id is not None:
        fields["patient_id"] = patient_id
    stamp = last_updated or timezone.now()
    existing = Resource.objects.filter(resource_type=body["resourceType"], fhir_id=body["id"]).first()
    version = existing.version_id + 1 if existing else 1
    body = {
        **body,
        "meta": {**body.get("meta", {}), "versionId": str(version), "lastUpdated": _instant(stamp)},
    }
    resource = existing or Resource(resource_type=body["resourceType"], fhir_id=body["id"])
    for name, value in fields.items():
        setattr(resource, name, value)
    resource.version_id, resource.last_updated, resource.body = version, stamp, body
    resource.save()
    return resource


def index_fields(body: dict) -> dict:
    """The search columns of one resource, derived from its JSON."""
    rtype = body["resourceType"]
    return {
        "patient_id": _patient_id(body),
        "status": body.get("status", "") if isinstance(body.get("status"), str) else "",
        "category": _tokens(_as_list(body.get("category"))),
        "type": _tokens(_as_list(body.get(_TYPE_PATH.get(rtype, "")))),
        "date": _date(body, _DATE_PATH.get(rtype, ())),
        "based_on": _references(_as_list(body.get("basedOn"))),
        "identifier": identifier_tokens(body.get("identifier")),
    }


def _patient_id(body: dict) -> str:
    rtype = body["resourceType"]
    if rtype == "Patient":
        return body["id"]
    if rtype == "Appointment":
        actors = [p.get("actor", {}) for p in body.get("participant", [])]
        return next((_id_of(a, "Patient") for a in actors if _id_of(a, "Patient")), "")
    element = _PATIENT_REF.get(rtype, "subject")
    return _id_of(body.get(element) or body.get("patient") or {}, "Patient")


def _id_of(reference: dict, resource_type: str) -> str:
    ref = reference.get("reference", "") if isinstance(reference, dict) else ""
    prefix = f"{resource_type}/"
    return ref[len(prefix) :] if ref.startswith(prefix) else ""


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _tokens(concepts: list) -> str:
    """ " code system|code " for each coding of each CodeableConcept (or bare code string)."""
    tokens = []
    for concept in concepts:
        if isinstance(concept, str):
            tokens.append(concept)
            continue
        for coding in concept.get("coding", []) if isinstance(concept, dict) else []:
            if code := coding.get("code"):
                tokens += [code, f"{coding.get('system', '')}|{code}"]
    return f" {' '.join(tokens)} " if tokens else ""


def identifier_tokens(identifiers) -> str:
    """ " value system|value " for each Identifier with a value ("|value" when it names no system), the
    column the R4 token search on `identifier` reads (https://hl7.org/fhir/R4/search.html#token)."""
    tokens = []
    for identifier in _as_list(identifiers):
        value = identifier.get("value") if isinstance(identifier, dict) else None
        if isinstance(value, str) and value:
            tokens += [value, f"{identifier.get('system') or ''}|{value}"]
    return f" {' '.join(tokens)} " if tokens else ""


def _references(refs: list) -> str:
    values = [r["reference"] for r in refs if isinstance(r, dict) and r.get("reference")]
    return f" {' '.join(values)} " if values else ""


def _date(body: dict, path: tuple) -> datetime | None:
    value = body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return parse_fhir_date(value) if isinstance(value, str) else None


def parse_fhir_date(value: str) -> datetime | None:
    """A FHIR date, dateTime or instant as an aware datetime (a bare date is midnight UTC)."""
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            # FHIR allows partial dates: "2024", "2024-03", "2024-03-01".
            day = parse_date({4: f"{value}-01-01", 7: f"{value}-01"}.get(len(value), value))
            if day is None:
                return None
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
