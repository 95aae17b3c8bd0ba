"""Reading FHIR R4 data types out of untrusted JSON: every reader returns a safe empty value on bad input."""

import re
from datetime import date

from smartapp.ehr.dates import parse_fhir_datetime
from smartapp.ehr.ids import is_fhir_id

from .facts import Version

TEXT_LIMIT = 200
CODE_LIMIT = 64
REF_LIMIT = 140
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


class Unparseable(ValueError):
    """A resource too broken to store (no usable id, not an object). The message never holds data."""


def text(value, limit: int = TEXT_LIMIT) -> str:
    """A string stripped and cut to `limit`; anything else is ""."""
    return value.strip()[:limit].rstrip() if isinstance(value, str) else ""  # a cut may end on a space


def code(value) -> str:
    """A FHIR code as lower case ("Booked" from a lax server reads as "booked")."""
    return text(value, CODE_LIMIT).lower()


def dicts(value) -> list[dict]:
    """The objects of a list (or a lone object, as some servers send a 0..* element of one)."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items[:50] if isinstance(item, dict)]


def codings(concept) -> list[dict]:
    """The codings of a CodeableConcept, or a bare Coding as a list of one."""
    if not isinstance(concept, dict):
        return []
    return dicts(concept.get("coding")) if "coding" in concept else [concept]


def first_coding(concepts) -> tuple[str, str]:
    """(code, display) of the first coded concept among `concepts`, with the concept text as display."""
    for concept in dicts(concepts):
        for coding in codings(concept):
            if text(coding.get("code"), CODE_LIMIT):
                display = text(coding.get("display")) or text(concept.get("text"))
                return text(coding.get("code"), CODE_LIMIT), display
    for concept in dicts(concepts):
        if text(concept.get("text")):
            return "", text(concept.get("text"))
    return "", ""


def concept_words(concepts) -> str:
    """Every code, display and text of `concepts`, folded, for loose matching ("referral", "cardiology")."""
    words = []
    for concept in dicts(concepts):
        words.append(text(concept.get("text")))
        for coding in codings(concept):
            words += [text(coding.get("code"), CODE_LIMIT), text(coding.get("display"))]
    return " ".join(w for w in words if w).casefold()


def reference_key(reference) -> str:
    """The "Type/id" of a literal Reference: relative, absolute URL or versioned; else "" (contained,
    conditional, urn:uuid and logical references have no key)."""
    target = text(reference.get("reference"), 1000) if isinstance(reference, dict) else ""
    if not target or target.startswith("#") or "?" in target:
        return ""
    parts = target.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) < 2 or not _RESOURCE_TYPE.fullmatch(parts[-2]) or not is_fhir_id(parts[-1]):
        return ""
    return f"{parts[-2]}/{parts[-1]}"


def keys_of_type(references, resource_type: str) -> list[str]:
    """The distinct keys of `references` that point at `resource_type`, in order."""
    keys = [reference_key(r) for r in dicts(references)]
    wanted = [k for k in keys if k.startswith(f"{resource_type}/")]
    return list(dict.fromkeys(wanted))


def contained(resource: dict, reference) -> dict:
    """The contained resource a "#id" reference points at, else {}."""
    target = text(reference.get("reference")) if isinstance(reference, dict) else ""
    if not target.startswith("#"):
        return {}
    return next((c for c in dicts(resource.get("contained")) if c.get("id") == target[1:]), {})


def parse_date(value) -> date | None:
    """The calendar date a FHIR date or dateTime names (as written, before any time-zone shift)."""
    moment = parse_fhir_datetime(value[:10] if isinstance(value, str) else None)
    return moment.date() if moment else None


def version_of(resource: dict) -> Version:
    """meta.lastUpdated and meta.versionId."""
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    return Version(parse_fhir_datetime(meta.get("lastUpdated")), text(meta.get("versionId"), CODE_LIMIT))


def own_ref(resource, resource_type: str) -> str:
    """ "Type/id" of the resource itself; Unparseable if it is not a `resource_type` with a valid id."""
    if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
        raise Unparseable("not a resource of the expected type")
    if not is_fhir_id(resource.get("id")):
        raise Unparseable("resource without a valid id")
    return f"{resource_type}/{resource['id']}"
