"""Which FHIR Patient an ADT message is about: a PID-3 identifier search at the EHR, recorded.

PID-3 repetitions are tried in order of preference (typed MR first, then the others as sent). Each
assigning authority (CX-4) maps to a FHIR Identifier.system through the registration's
`[adt.identifier_systems]`; an authority the table does not name is searched by value alone
(`identifier=<value>`) only when no repetition has a mapped one, since a bare value may be another
system's number. Exactly one Patient is a match; none or several park the message for a coordinator.
A Patient merged into another (a `link` of type replaced-by to "Patient/<id>",
https://hl7.org/fhir/R4/patient-definitions.html#Patient.link) stands for that one: the survivor is the
match, one hop only, whether or not the merged Patient is still `active`; seealso and refer only say a
related record exists and are not followed. Several Patients found that all stand for one (the merged-away
record still holding the MRN, found with its survivor) are that one match. Every outcome is recorded
(PatientMatch); anything but a match is searched again by the next message. EhrUnavailable propagates:
the caller retries later and never parks for it.

A recorded match is reused without a search while it is younger than ADT_MATCH_REFRESH_SECONDS; after
that its identifiers are searched again, so a merge or a corrected MRN at the EHR is followed. A
coordinator's link is never searched again: the search had failed for it, and it is a human decision.
When the refresh finds exactly one Patient, that is the match, recorded (it may move). When it finds
none or several, the recorded Patient is still used and its row is left as it was, searched_at included:
a merge or a correction in progress can leave an identifier on no Patient or on two for a while, and
parking every message of a patient already known for that would stall its follow-up; overwriting the row
would lose the one answer known to have been right; and the next message searches again, so the state
the EHR settles on is taken up then. A refresh that cannot be done (EHR unavailable or refusing, no
credentials) uses the recorded match and records nothing: a refresh never delays or parks a message.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrForbidden, EhrUnavailable
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.paging import is_under_base
from smartapp.ehr.profiles import profile_for
from smartapp.ehr.profiles.validity import query_problem
from smartapp.referrals.credentials import SyncNotPossible, sync_client
from smartapp.referrals.elements import code, dicts, reference_key, text

from .contents import PatientIdentifier
from .models import PatientMatch

logger = logging.getLogger(__name__)

MATCHED, NONE, SEVERAL = PatientMatch.MATCHED, PatientMatch.NONE, PatientMatch.SEVERAL
# Why a message could not be matched (InboundMessage.reason): fixed codes, shown in words on the review page.
NO_MATCH, SEVERAL_MATCHES, NO_IDENTIFIER = "no_match", "several_matches", "no_identifier"
SEARCH_REFUSED, EHR_REFUSED, NO_CREDENTIALS = "search_refused", "ehr_refused", "no_credentials"
COORDINATOR, IDENTIFIER_SEARCH = "coordinator", "identifier_search"  # PatientMatch.method
MAX_KEY = 300  # PatientMatch.identifier
REFUSED = (EhrForbidden, EhrBadResponse, EhrAuthExpired)  # permanent for this search


@dataclass(frozen=True)
class Match:
    """A match's outcome: `patient_ref` ("Patient/<id>") when matched, else the reason code."""

    patient_ref: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SearchAnswer:
    """What one identifier search found; `merged` when a replaced-by link was followed to patient_ref."""

    key: str
    outcome: str
    patient_ref: str = ""
    candidates: int = 0
    merged: bool = False


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

    Raises EhrUnavailable (429/5xx/timeout) when nothing is recorded to fall back on: nothing is
    recorded and the caller tries again later.
    """
    keys = search_keys(identifiers, config.adt.identifier_systems if config.adt else {})
    if not keys:
        return Match(reason=NO_IDENTIFIER)
    recorded = _recorded(config.name, keys)
    if recorded and not _stale(recorded):
        return Match(patient_ref=recorded.patient_ref)
    if recorded:
        return _refreshed(config, keys, recorded)
    if problem := _refusal(config):
        return Match(reason=problem)
    try:
        client = sync_client(config, max_pages=1)
    except SyncNotPossible:
        return Match(reason=NO_CREDENTIALS)
    return _search_each(config, client, keys)


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


def _recorded(connection: str, keys: list[str]) -> PatientMatch | None:
    """The recorded match of the most preferred key that has one."""
    rows = PatientMatch.objects.filter(connection=connection, identifier__in=keys, outcome=MATCHED)
    known = {row.identifier: row for row in rows}
    return next((known[key] for key in keys if key in known), None)


def _stale(row: PatientMatch) -> bool:
    """A search's match older than ADT_MATCH_REFRESH_SECONDS; a coordinator's link never is."""
    oldest = timezone.now() - timedelta(seconds=settings.ADT_MATCH_REFRESH_SECONDS)
    return row.method == IDENTIFIER_SEARCH and row.searched_at < oldest


def _refreshed(config: LaunchConfig, keys: list[str], recorded: PatientMatch) -> Match:
    """The fresh search's one Patient, recorded with the answers before it; else the recorded match,
    nothing recorded (see the module docstring)."""
    kept = Match(patient_ref=recorded.patient_ref)
    if _refusal(config):
        return kept
    try:
        answers = list(_answers(sync_client(config, max_pages=1), keys, base=config.issuer))
    except (SyncNotPossible, EhrUnavailable, *REFUSED):
        return kept
    if answers[-1].outcome != MATCHED:
        return kept
    for answer in answers:
        _answer_record(config.name, answer)
    if answers[-1].patient_ref != recorded.patient_ref:
        logger.info("adt.match_moved reason=%s", "replaced_by" if answers[-1].merged else "search")
    return Match(patient_ref=answers[-1].patient_ref)


def _refusal(config: LaunchConfig) -> str:
    """SEARCH_REFUSED when the vendor's rules say it would refuse an identifier search of Patients."""
    params = [("identifier", "x")]
    return SEARCH_REFUSED if query_problem(profile_for(config).rules, "Patient", params) else ""


def _search_each(config: LaunchConfig, client, keys: list[str]) -> Match:
    outcomes = []
    try:
        for answer in _answers(client, keys, base=config.issuer):
            _answer_record(config.name, answer)
            outcomes.append(answer.outcome)
            if answer.outcome == MATCHED:
                return Match(patient_ref=answer.patient_ref)
    except REFUSED:
        return Match(reason=EHR_REFUSED)  # parked, retried much later
    return Match(reason=SEVERAL_MATCHES if SEVERAL in outcomes else NO_MATCH)


def _answers(client, keys: list[str], *, base: str):
    """Each key's answer in order, up to the first that names one Patient. The client's errors propagate."""
    for key in keys:
        found = client.search("Patient", [("identifier", key)], max_pages=1).matches
        answer = search_answer(key, found, base=base)
        yield answer
        if answer.outcome == MATCHED:
            return


def search_answer(key: str, found: list[dict], *, base: str) -> SearchAnswer:
    """One Patient found is a match, and so are several that all stand for one: an EHR that leaves the MRN
    on the merged-away record finds it with its survivor (or finds two merged into a third)."""
    patients = {r["id"]: r for r in found if r.get("resourceType") == "Patient" and is_fhir_id(r.get("id"))}
    if not patients:
        return SearchAnswer(key, NONE)
    stands_for = {replaced_by(patient, base) or f"Patient/{pid}" for pid, patient in patients.items()}
    if len(stands_for) != 1:
        return SearchAnswer(key, SEVERAL, candidates=len(patients))
    merged = any(replaced_by(patient, base) for patient in patients.values())
    return SearchAnswer(key, MATCHED, stands_for.pop(), candidates=len(patients), merged=merged)


def replaced_by(patient: dict, base: str) -> str:
    """ "Patient/<id>" of the Patient's first replaced-by link, else "": one hop,
    https://hl7.org/fhir/R4/valueset-link-type.html. Only a Patient of this EHR: a relative reference, or
    an absolute one under its FHIR `base`. An absolute link to another server (a master patient index's
    record elsewhere) names an id that may be another person here, so it is not followed."""
    for link in dicts(patient.get("link")):
        target = reference_key(link.get("other"))
        if code(link.get("type")) != "replaced-by" or not target.startswith("Patient/"):
            continue
        if _on_this_server(text(link["other"].get("reference"), 1000), base):
            return target
    return ""


def _on_this_server(reference: str, base: str) -> bool:
    """A relative reference, or an absolute one on `base` itself: under it (ehr.paging.is_under_base: the
    same origin, no dot segments) with nothing between the base and "<Type>/<id>"."""
    if "://" not in reference:
        return True
    target = reference.split("/_history/")[0].rstrip("/")
    own_base = urlsplit(target).path.rsplit("/", 2)[0]
    return is_under_base(target, base) and own_base == urlsplit(base).path.rstrip("/")


def _answer_record(connection: str, answer: SearchAnswer) -> None:
    match_record(
        connection=connection, identifier=answer.key, patient_ref=answer.patient_ref, outcome=answer.outcome,
        candidates=answer.candidates, method=IDENTIFIER_SEARCH,
    )  # fmt: skip
