"""The sandbox's CapabilityStatement (https://hl7.org/fhir/R4/capabilitystatement.html).

Under a vendor base it lists only what that vendor's table (smartapp/sandbox/vendors/) allows.

Its security section advertises SMART's OAuth endpoints through the oauth-uris extension
(https://hl7.org/fhir/smart-app-launch/conformance.html#using-cors).
"""

from smartapp.sandbox.base_url import auth_url, fhir_base
from smartapp.sandbox.fhir import catalog
from smartapp.sandbox.vendors import rules_for

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
_SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
_OAUTH_ENDPOINTS = {
    "authorize": "authorize/",
    "token": "token/",
    "revoke": "revoke/",
    "introspect": "introspect/",
}
PUBLISHED = "2025-01-01"
GROUP_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"


def capability_statement(request, vendor: str = "") -> dict:
    """The CapabilityStatement of this server, with URLs for the host it was reached on."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "publisher": "smartapp sandbox",
        "kind": "instance",
        "software": {"name": "smartapp sandbox EHR"},
        "implementation": {"description": "smartapp sandbox EHR", "url": fhir_base(request)},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{"mode": "server", "security": _security(request), "resource": _resources(vendor)}],
    }


def _security(request) -> dict:
    return {
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [
                    {"url": name, "valueUri": auth_url(request, path)}
                    for name, path in _OAUTH_ENDPOINTS.items()
                ],
            }
        ],
        "service": [
            {"coding": [{"system": _SECURITY_SERVICE, "code": "SMART-on-FHIR"}], "text": "SMART-on-FHIR"}
        ],
    }


def _resources(vendor: str) -> list[dict]:
    searchable = rules_for(vendor).search
    served = [t for t in catalog.SUPPORTED_TYPES if t in searchable or t in catalog.READ_ONLY]
    return [_resource(resource_type, searchable.get(resource_type), vendor) for resource_type in served]


def _exports(vendor: str) -> bool:
    rules = rules_for(vendor)
    return bool(rules.bulk_params) or rules.population == "bulk_export"


def _resource(resource_type: str, rule, vendor: str) -> dict:
    interactions = ["read"] if rule is None else ["read", "search-type"]
    entry = {"type": resource_type, "interaction": [{"code": code} for code in interactions]}
    if rule is not None:
        entry["searchParam"] = [
            {"name": name, "type": catalog.FHIR_PARAM_TYPE[kind]}
            for name, (kind, _) in catalog.SEARCH_PARAMS[resource_type].items()
            if name in rule.accepted
        ]
        if resource_type == "Group" and _exports(vendor):
            # https://hl7.org/fhir/uv/bulkdata/OperationDefinition-group-export.html
            entry["operation"] = [{"name": "export", "definition": GROUP_EXPORT}]
        if rule.includes:
            entry["searchInclude"] = [
                i for i in catalog.INCLUDES.get(resource_type, {}) if i in rule.includes
            ]
    return entry
