"""Facts to row fields and back: the one place that knows how facts are laid out in the tables."""

from dataclasses import replace

from .facts import EvidenceFacts, ReferralFacts, Version
from .models import Evidence, Referral

REFERRAL_FACT_FIELDS = [
    "kind",
    "patient_ref",
    "patient_display",
    "requester_ref",
    "requester_display",
    "performer_ref",
    "performer_display",
    "specialty_code",
    "specialty_display",
    "reason",
    "authored_on",
    "due_date",
    "request_status",
    "follow_up_rule",
    "visit_number",
]
EVIDENCE_FACT_FIELDS = [
    "status",
    "business_status",
    "date",
    "performer_ref",
    "performer_display",
    "specialty_code",
    "specialty_text",
    "patient_ref",
    "type_code",
    "via_ref",
    "visit_number",
]
VERSION_FIELDS = ["version_id", "last_updated"]


def referral_row(connection: str, facts: ReferralFacts) -> Referral:
    """An unsaved Referral holding `facts` (state columns left to the state recomputation)."""
    values = {name: getattr(facts, name) for name in REFERRAL_FACT_FIELDS}
    return Referral(
        connection=connection, fhir_ref=facts.fhir_ref, **values, **_version_fields(facts.version)
    )


def referral_facts(row: Referral) -> ReferralFacts:
    """The facts a stored Referral holds."""
    values = {name: getattr(row, name) for name in REFERRAL_FACT_FIELDS}
    return ReferralFacts(fhir_ref=row.fhir_ref, version=_version(row), **values)


def evidence_row(
    connection: str, facts: EvidenceFacts, *, target_ref: str, link: str, referral_id
) -> Evidence:
    """An unsaved Evidence row tying the resource of `facts` to `target_ref` ("" for none)."""
    values = {name: getattr(facts, name) for name in EVIDENCE_FACT_FIELDS}
    return Evidence(
        connection=connection,
        kind=facts.kind,
        fhir_ref=facts.fhir_ref,
        target_ref=target_ref,
        link=link,
        referral_id=referral_id,
        **values,
        **_version_fields(facts.version),
    )


def evidence_facts(row: Evidence) -> EvidenceFacts:
    """The facts of a stored Evidence row, with its link; `targets` is not stored per row and stays ()."""
    values = {name: getattr(row, name) for name in EVIDENCE_FACT_FIELDS}
    return EvidenceFacts(kind=row.kind, fhir_ref=row.fhir_ref, link=row.link, version=_version(row), **values)


def same_facts(new: ReferralFacts | EvidenceFacts, stored: ReferralFacts | EvidenceFacts) -> bool:
    """True when nothing but the version (and, for evidence, the per-row link and targets) differs."""
    strip = {"version": Version()} | ({"link": "", "targets": ()} if isinstance(new, EvidenceFacts) else {})
    return replace(new, **strip) == replace(stored, **strip)


def _version_fields(version: Version) -> dict:
    return {"version_id": version.version_id, "last_updated": version.last_updated}


def _version(row) -> Version:
    return Version(row.last_updated, row.version_id)
