"""Audit events as FHIR R4 AuditEvent resources, after the IHE Basic Audit Log Patterns (BALP):
https://profiles.ihe.net/ITI/BALP/ and https://hl7.org/fhir/R4/auditevent.html. Pure functions.
"""

from datetime import UTC

DCM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
APP_USER = "urn:smartapp:user"
APP_LAUNCH = "urn:smartapp:launch"

_REST = {"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
_USER_AUTH = {"system": DCM, "code": "110114", "display": "User Authentication"}
_PATIENT_RECORD = {"system": DCM, "code": "110110", "display": "Patient Record"}
_EXPORT = {"system": DCM, "code": "110106", "display": "Export"}
_SECURITY_ALERT = {"system": DCM, "code": "110113", "display": "Security Alert"}
_AUDIT_LOG_USED = {"system": DCM, "code": "110101", "display": "Audit Log Used"}
_APPLICATION_ACTIVITY = {"system": DCM, "code": "110100", "display": "Application Activity"}
_LOGIN = {"system": DCM, "code": "110122", "display": "Login"}
_LOGOUT = {"system": DCM, "code": "110123", "display": "Logout"}


def _rest(code: str, display: str):
    return {"system": RESTFUL_INTERACTION, "code": code, "display": display}


# action -> (type, subtype or None, FHIR action code: C create, R read, U update, E execute).
# An action not listed falls back on its prefix ("fhir.read" -> "fhir"), then on Application Activity.
EVENT_TYPES = {
    "fhir.read": (_REST, _rest("read", "read"), "R"),
    "fhir.binary": (_REST, _rest("read", "read"), "R"),
    "fhir.search": (_REST, _rest("search-type", "search type"), "E"),
    "fhir": (_REST, None, "E"),
    "launch.begin": (_USER_AUTH, _LOGIN, "E"),
    "token.exchange": (_USER_AUTH, _LOGIN, "E"),
    "token.refresh": (_USER_AUTH, None, "E"),
    "logout": (_USER_AUTH, _LOGOUT, "E"),
    "access.denied": (_SECURITY_ALERT, None, "E"),
    "audit.export": (_AUDIT_LOG_USED, _EXPORT, "R"),
    "audit": (_AUDIT_LOG_USED, None, "R"),
    "referrals.export": (_EXPORT, None, "R"),
    "referrals.outreach": (_PATIENT_RECORD, None, "C"),
    "referrals.sync": (_APPLICATION_ACTIVITY, None, "E"),
    "chart": (_PATIENT_RECORD, None, "R"),
    "note": (_PATIENT_RECORD, None, "R"),
    "referrals": (_PATIENT_RECORD, None, "R"),
}
_DEFAULT_TYPE = (_APPLICATION_ACTIVITY, None, "E")

# Outcomes (http://hl7.org/fhir/audit-event-outcome): 0 success, 4 minor failure (refused, denied:
# the request's fault), 8 serious failure (the action failed). HTTP statuses map by class.
_SUCCESS = {"success", "redirected", "viewed", "reused", "streamed", "contacted", "noted", "complete",
            "requested", "ok", "exported"}  # fmt: skip
_FAILED = {"failed", "error", "unavailable", "bad_response"}


def event_type(action: str) -> tuple[dict, dict | None, str]:
    return EVENT_TYPES.get(action) or EVENT_TYPES.get(action.partition(".")[0]) or _DEFAULT_TYPE


def outcome_code(action: str, outcome: str) -> str:
    if action == "access.denied":
        return "4"
    if outcome.isdigit():
        status = int(outcome)
        return "0" if status < 400 else "4" if status < 500 else "8"
    if outcome in _SUCCESS:
        return "0"
    return "8" if outcome in _FAILED or outcome.endswith("_error") else "4"


def as_fhir_audit_event(event) -> dict:
    """One AuditEvent (R4) for `event`: ids and codes only, like the event itself."""
    kind, subtype, action = event_type(event.action)
    resource = {
        "resourceType": "AuditEvent",
        "id": str(event.seq),
        "type": kind,
        "action": action,
        "recorded": event.ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "outcome": outcome_code(event.action, event.outcome),
        "outcomeDesc": f"{event.action}: {event.outcome}",
        "agent": _agents(event),
        "source": {
            "site": "smartapp",
            "observer": {"display": "smartapp"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
    }
    if subtype:
        resource["subtype"] = [subtype]
    entities = _entities(event)
    if entities:
        resource["entity"] = entities
    return resource


def _agents(event) -> list[dict]:
    user = {"requestor": True}
    who = {}
    if event.fhir_user:
        who["reference"] = _on_issuer(event.fhir_user, event.issuer)
    if event.user_id is not None:
        who["identifier"] = {"system": APP_USER, "value": str(event.user_id)}
        user["altId"] = str(event.user_id)
    if who:
        user["who"] = who
        user["type"] = {"coding": [{"system": ROLE_TYPE, "code": "humanuser", "display": "human user"}]}
    if event.ip:
        user["network"] = {"address": event.ip, "type": "2"}  # 2: IP address
    agents = [user]
    if event.issuer:  # the EHR the request went to (BALP: the server is the Destination Role ID)
        agents.append({
            "type": {"coding": [{"system": DCM, "code": "110152", "display": "Destination Role ID"}]},
            "who": {"identifier": {"system": "urn:ietf:rfc:3986", "value": event.issuer}},
            "requestor": False,
        })  # fmt: skip
    return agents


def _entities(event) -> list[dict]:
    entities = []
    if event.patient_ref:
        entities.append({
            "what": {"reference": _on_issuer(_patient_reference(event.patient_ref), event.issuer)},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        })  # fmt: skip
    for resource_type in filter(None, event.resource_types.split(",")):
        entities.append({
            "type": {"system": RESOURCE_TYPES, "code": resource_type},
            "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
        })  # fmt: skip
    if event.launch_id:
        entities.append({
            "what": {"identifier": {"system": APP_LAUNCH, "value": event.launch_id}},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
        })  # fmt: skip
    return entities


def _patient_reference(patient_ref: str) -> str:
    return patient_ref if "/" in patient_ref else f"Patient/{patient_ref}"  # both forms are recorded


def _on_issuer(reference: str, issuer: str) -> str:
    """A relative reference made absolute on the issuer's FHIR base: ids are only unique per EHR."""
    if not issuer or reference.startswith(("http://", "https://")):
        return reference
    return f"{issuer.rstrip('/')}/{reference}"
