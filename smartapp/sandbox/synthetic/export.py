"""A patient's record as a FHIR collection Bundle, read back from the sandbox store."""

from smartapp.sandbox.models import Resource

DEFAULT_BASE = "http://127.0.0.1:8000/sandbox/fhir"
# Shared resources (in no patient compartment) that an export carries along when the record refers to them.
REFERENCED_TYPES = ("Medication", "Practitioner", "PractitionerRole", "Organization")


class UnknownPatient(LookupError):
    """No Patient with that id is stored in the sandbox."""


def patient_index() -> list[tuple[str, str]]:
    """(id, display name) of every stored Patient, sorted by id."""
    rows = Resource.objects.filter(resource_type="Patient").order_by("fhir_id").values_list("fhir_id", "body")
    return [(fhir_id, display_name(body)) for fhir_id, body in rows]


def display_name(patient: dict) -> str:
    """The first name of a Patient as one line: its text, else given names then family."""
    name = (patient.get("name") or [{}])[0]
    return name.get("text") or " ".join([*name.get("given", []), name.get("family", "")]).strip()


def patient_bundle(patient_id: str, base: str = DEFAULT_BASE) -> dict:
    """A collection Bundle: the patient's compartment, then the shared resources it refers to.

    Raises UnknownPatient when no such Patient is stored.
    """
    if not Resource.objects.filter(resource_type="Patient", fhir_id=patient_id).exists():
        raise UnknownPatient(patient_id)
    compartment = [
        body
        for body in Resource.objects.filter(patient_id=patient_id)
        .order_by("resource_type", "fhir_id")
        .values_list("body", flat=True)
    ]
    compartment.sort(key=lambda body: body["resourceType"] != "Patient")  # stable: the Patient first
    resources = compartment + _referenced(compartment)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base.rstrip('/')}/{body['resourceType']}/{body['id']}", "resource": body}
            for body in resources
        ],
    }


def _referenced(bodies: list[dict]) -> list[dict]:
    """Shared resources referred to, directly or through each other, plus the roles of the practitioners."""
    found: dict[tuple[str, str], dict | None] = {}
    wanted = _references(bodies)
    while missing := wanted - found.keys():
        fetched = _fetch(missing)
        found.update({key: fetched.get(key) for key in missing})  # None: referred to but not stored
        wanted |= _references(list(fetched.values())) | _roles_of(set(fetched))
    return [found[key] for key in sorted(found) if found[key] is not None]


def _fetch(keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    fetched = {}
    for resource_type in {rtype for rtype, _ in keys}:
        ids = [fhir_id for rtype, fhir_id in keys if rtype == resource_type]
        for fhir_id, body in Resource.objects.filter(
            resource_type=resource_type, fhir_id__in=ids
        ).values_list("fhir_id", "body"):
            fetched[(resource_type, fhir_id)] = body
    return fetched


def _roles_of(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    practitioners = {f"Practitioner/{fhir_id}" for rtype, fhir_id in keys if rtype == "Practitioner"}
    roles = Resource.objects.filter(resource_type="PractitionerRole").values_list("fhir_id", "body")
    return {
        ("PractitionerRole", fhir_id)
        for fhir_id, body in roles
        if body.get("practitioner", {}).get("reference") in practitioners
    }


def _references(value) -> set[tuple[str, str]]:
    """Every (type, id) of REFERENCED_TYPES named by a `reference` anywhere inside `value`."""
    found = set()
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str) and reference.count("/") == 1:
            resource_type, fhir_id = reference.split("/")
            if resource_type in REFERENCED_TYPES:
                found.add((resource_type, fhir_id))
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found
