"""Which FHIR Patient an ADT message is about: a PID-3 identifier search at the EHR, recorded.

PID-3 repetitions are tried in order of preference (typed MR first, then the others as sent). Each
assigning authority (CX-4) maps to a FHIR Identifier.system through the registration's
`[adt.identifier_systems]`; an authority the table does not name is searched by value alone
(`identifier=<value>`) only when no repetition has a mapped one, since a bare value may be another
system's number. Exactly one Patient is a match; none or several park the message for a coordinator.
Every outcome is recorded (PatientMatch); a recorded match is reused without a second search, anything
else is searched again. EhrUnavailable propagates: the caller retries later and never parks for it.
"""

from dataclasses import dataclass

from django.utils import timezone

from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrForbidden
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.profiles import profile_for
from smartapp.ehr.profiles.validity import query_problem
from smartapp.referrals.credentials import SyncNotPossible, sync_client

from .contents import PatientIdentifier
from .models import PatientMatch

MATCHED, NONE, SEVERAL = PatientMatch.MATCHED, PatientMatch.NONE, PatientMatch.SEVERAL
# Why a message could not be matched (InboundMessage.reason): fixed codes, shown in words on the review page.
NO_MATCH, SEVERAL_MATCHES, NO_IDENTIFIER = "no_match", "several_matches", "no_identifier"
SEARCH_REFUSED, EHR_REFUSED, NO_CREDENTIALS = "search_refused", "ehr_refused", "no_credentials"
COORDINATOR = "coordinator"
MAX_KEY = 300  # PatientMatch.identifier


@dataclass(frozen=True)
class Match:
    """A match's outcome: `patient_ref` ("Patient/<id>") when matched, else the reason code."""

    patient_ref: str = ""
    reason: str = ""


def search_keys(identifiers: tuple[PatientIdentifier, ...], systems: dict[str, str]) -> list[str]:
    """The identifier searches to try, as `identifier` token values ("system|value", or "value" alone
    when no repetition's authority is mapped), most preferred first, without repeats."""
    ranked = [cx for cx in sorted(identifiers, key=lambda cx: cx.type_code.upper() != "MR") if cx.value]
    mapped = [f"{systems[cx.authority]}|{_escaped(cx.value)}" for cx in ranked if cx.authority in systems]
    keys = mapped or [_escaped(cx.value) for cx in ranked]
    return [key for key in dict.fromkeys(keys) if len(key) <= MAX_KEY]


def _escaped(value: str) -> str:
    """A token search value with FHIR's escapes (https://hl7.org/fhir/R4/search.html#escaping)."""
    for char in ("\\", "|", ",", "$"):
        value = value.replace(char, "\\" + char)
    return value


def patient_match(*, config: LaunchConfig, identifiers: tuple[PatientIdentifier, ...]) -> Match:
    """The Patient these PID-3 identifiers name at `config`'s EHR, or why there is none.

    Raises EhrUnavailable (429/5xx/timeout): nothing is recorded and the caller tries again later.
    """
    keys = search_keys(identifiers, config.adt.identifier_systems if config.adt else {})
    if not keys:
        return Match(reason=NO_IDENTIFIER)
    recorded = PatientMatch.objects.filter(connection=config.name, identifier__in=keys, outcome=MATCHED)
    known = {row.identifier: row.patient_ref for row in recorded}
    if reused := next((known[key] for key in keys if key in known), None):
        return Match(patient_ref=reused)
    if problem := _refusal(config):
        return Match(reason=problem)
    try:
        client = sync_client(config, max_pages=1)
    except SyncNotPossible:
        return Match(reason=NO_CREDENTIALS)
    return _search_each(config.name, client, keys)


def match_record(
    *,
    connection: str,
    identifier: str,
    patient_ref: str,
    outcome: str = MATCHED,
    candidates: int = 1,
    method: str = COORDINATOR,
) -> None:
    """Record what `identifier` names (by default: a coordinator's link to `patient_ref`), reused from now
    on when matched."""
    PatientMatch.objects.update_or_create(
        connection=connection,
        identifier=identifier,
        defaults={
            "outcome": outcome,
            "patient_ref": patient_ref,
            "candidates": min(candidates, 32767),
            "method": method,
            "searched_at": timezone.now(),
        },
    )


def _refusal(config: LaunchConfig) -> str:
    """SEARCH_REFUSED when the vendor's rules say it would refuse an identifier search of Patients."""
    params = [("identifier", "x")]
    return SEARCH_REFUSED if query_problem(profile_for(config).rules, "Patient", params) else ""


def _search_each(connection: str, client, keys: list[str]) -> Match:
    outcomes = []
    for key in keys:
        try:
            found = client.search("Patient", [("identifier", key)], max_pages=1).matches
        except (EhrForbidden, EhrBadResponse, EhrAuthExpired):
            return Match(reason=EHR_REFUSED)  # permanent for this search: parked, retried much later
        ids = sorted(
            {r.get("id") for r in found if r.get("resourceType") == "Patient" and is_fhir_id(r.get("id"))}
        )
        outcome = MATCHED if len(ids) == 1 else (NONE if not ids else SEVERAL)
        patient_ref = f"Patient/{ids[0]}" if outcome == MATCHED else ""
        match_record(
            connection=connection, identifier=key, patient_ref=patient_ref, outcome=outcome,
            candidates=len(ids), method="identifier_search",
        )  # fmt: skip
        if outcome == MATCHED:
            return Match(patient_ref=patient_ref)
        outcomes.append(outcome)
    return Match(reason=SEVERAL_MATCHES if SEVERAL in outcomes else NO_MATCH)
