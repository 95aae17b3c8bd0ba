"""Small readers for FHIR datatypes (CodeableConcept, Reference, strings) over untrusted vendor JSON.

Every reader accepts any value (vendors send wrong types) and returns a bounded string, never raises.
Every string passes through `text()`, which also makes it safe to show (docs/security.md "Control
characters"; core/display_text.py). `text` and `human_name` live in core and ehr, where launch reads the
signed-in user's name with them too; they are re-exported here for the chart's readers.
"""

import re

from smartapp.core.display_text import NAME_LIMIT, text
from smartapp.ehr.names import human_name  # noqa: F401  re-exported (authors.py, tests)

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED_SYSTEM = "http://snomed.info/sct"

TEXT_LIMIT = 500
SHORT_LIMIT = 64


def normalized(value) -> str:
    """The form two names must share to count as the same: casefolded, whitespace collapsed."""
    return text(value, TEXT_LIMIT).casefold()


def codings(concept) -> list[dict]:
    """The well-formed (dict) codings of a CodeableConcept; [] for anything else."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [coding for coding in concept["coding"] if isinstance(coding, dict)]


def code_in(concept, system: str) -> str:
    """The first code of `concept` in `system`, or ""."""
    for coding in codings(concept):
        code = text(coding.get("code"), SHORT_LIMIT)
        if coding.get("system") == system and code:
            return code
    return ""


def has_code(concept, system: str, codes: frozenset[str]) -> bool:
    """Whether `concept` carries one of `codes` in `system`."""
    return any(c.get("system") == system and c.get("code") in codes for c in codings(concept))


def display(concept, limit: int = NAME_LIMIT) -> str:
    """What a person reads for a CodeableConcept: its text, else a coding's display, else a coding's code.

    A SNOMED CT semantic tag at the end is dropped ("Penicillin (substance)" reads "Penicillin"): it tells
    terminologists which hierarchy a concept is in, and says nothing to a clinician or a patient.
    """
    if not isinstance(concept, dict):
        return ""
    for candidate in [concept.get("text"), *[c.get("display") for c in codings(concept)]]:
        if without_semantic_tag(text(candidate, limit)):
            return without_semantic_tag(text(candidate, limit))
    return next((text(c.get("code"), limit) for c in codings(concept) if text(c.get("code"))), "")


# The semantic tags of SNOMED CT's hierarchies (SNOMED CT Editorial Guide, "Semantic Tags",
# https://confluence.ihtsdotools.org/display/DOCEG/Semantic+Tag). Only these, and only at the end of a
# display, are dropped: "Hepatitis (viral)" keeps its parentheses.
SEMANTIC_TAGS = frozenset(
    {
        "administration method", "assessment scale", "attribute", "basic dose form", "body structure",
        "cell", "cell structure", "clinical drug", "disorder", "disposition", "dose form", "environment",
        "environment / location", "ethnic group", "event", "finding", "geographic location",
        "inactive concept", "intended site", "life style", "link assertion", "linkage concept",
        "medicinal product", "medicinal product form", "morphologic abnormality", "namespace concept",
        "navigational concept", "number", "observable entity", "occupation", "organism", "person",
        "physical force", "physical object", "procedure", "product", "product name", "qualifier value",
        "racial group", "record artifact", "regime/therapy", "release characteristic", "religion/philosophy",
        "role", "situation", "social concept", "special concept", "specimen", "staging scale",
        "state of matter", "substance", "supplier", "transformation", "tumor staging", "unit of presentation",
        "metadata", "foundation metadata concept", "core metadata concept", "OWL metadata concept",
        "product dose form",
    }
)  # fmt: skip
_SEMANTIC_TAG = re.compile(r"\s*\(([^()]+)\)\Z")
_FOLDED_TAGS = frozenset(tag.casefold() for tag in SEMANTIC_TAGS)


def without_semantic_tag(name: str) -> str:
    """`name` without a trailing SNOMED CT semantic tag: "Allergy to mould (finding)" -> "Allergy to mould".
    A name that is nothing but a tag is kept as it is."""
    match = _SEMANTIC_TAG.search(name)
    if not match or match.group(1).strip().casefold() not in _FOLDED_TAGS or not name[: match.start()]:
        return name
    return name[: match.start()].strip()


# Codes whose words are not the code with its hyphens taken out.
_CODE_WORDS = {"unk": "Unknown", "asku": "Asked but unknown"}


def code_words(code) -> str:
    """A FHIR code as words a reader expects: "unable-to-assess" -> "Unable to assess", "high" -> "High"."""
    code = text(code, SHORT_LIMIT)
    if code.casefold() in _CODE_WORDS:
        return _CODE_WORDS[code.casefold()]
    words = code.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def all_names(concept) -> set[str]:
    """Every normalized name a CodeableConcept goes by (its text and each coding's display)."""
    if not isinstance(concept, dict):
        return set()
    candidates = [concept.get("text"), *[c.get("display") for c in codings(concept)]]
    return {normalized(name) for name in candidates if normalized(name)}


def status_code(value, limit: int = SHORT_LIMIT) -> str:
    """A status as a lower-case code, from a plain string or a CodeableConcept (R4 or older shapes)."""
    if isinstance(value, str):
        return text(value, limit).lower()
    for coding in codings(value):
        if text(coding.get("code")):
            return text(coding.get("code"), limit).lower()
    return text(value.get("text"), limit).lower() if isinstance(value, dict) else ""


def reference_label(reference) -> str:
    """A Reference as a person reads it: its display, else "". Never the literal reference: a reader
    cannot tell who "Practitioner/12" is, so callers name it from an `_include` or show a neutral mark."""
    if not isinstance(reference, dict):
        return ""
    return text(reference.get("display"))


def reference_type(reference) -> str:
    """The resource type a literal Reference points at ("Patient" for "Patient/1" or ".../fhir/Patient/1")."""
    target = text(reference.get("reference"), TEXT_LIMIT) if isinstance(reference, dict) else ""
    parts = target.split("/")
    return parts[-2] if len(parts) >= 2 else ""


def reference_key(reference) -> str:
    """The "Type/id" of a literal reference, relative or absolute ("https://ehr/fhir/Practitioner/12")."""
    target = text(reference.get("reference"), TEXT_LIMIT) if isinstance(reference, dict) else ""
    parts = target.split("/_history/")[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 and all(parts[-2:]) else ""
