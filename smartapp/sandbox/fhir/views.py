"""The sandbox FHIR R4 API views: metadata, read and search. Thin: the work lives in sibling modules."""

from django.utils.http import http_date

from smartapp.sandbox import faults
from smartapp.sandbox.fhir import binary, catalog
from smartapp.sandbox.fhir.access import access_for
from smartapp.sandbox.fhir.bundles import searchset
from smartapp.sandbox.fhir.capability import capability_statement
from smartapp.sandbox.fhir.endpoint import Call, fhir_endpoint
from smartapp.sandbox.fhir.outcomes import FhirError, fhir_response
from smartapp.sandbox.fhir.results import run_search
from smartapp.sandbox.fhir.search import parse_search
from smartapp.sandbox.models import Resource
from smartapp.sandbox.vendors import emulation_for, enforce

_READ_PARAMS = frozenset({"_format", "_pretty"})


@fhir_endpoint(public=True)
def metadata(request, call: Call):
    """GET metadata: the CapabilityStatement; needs no token."""
    return fhir_response(capability_statement(request, call.vendor), pretty=_pretty(request))


@fhir_endpoint()
def read(request, call: Call, resource_type: str, fhir_id: str):
    """GET [type]/[id]; a Binary answers its raw content unless FHIR JSON is asked for."""
    _require_supported(resource_type)
    enforce.require_type(call.vendor, resource_type, read=True)
    if unknown := set(request.GET) - _READ_PARAMS:
        raise FhirError(400, f"Unsupported parameter on read: {sorted(unknown)[0][:64]}")
    access = access_for(call.bearer, resource_type, "r")
    resource = Resource.objects.filter(resource_type=resource_type, fhir_id=fhir_id).first()
    if resource is None:
        raise FhirError(404, f"{resource_type}/{fhir_id} is not known")
    access.require(resource)
    if resource_type == "Binary" and not binary.wants_resource(request, call.vendor):
        response = binary.content_response(resource, request, call.vendor)
    elif resource_type == "DocumentReference":
        body = binary.with_note_formats(resource.body, emulation_for(call.vendor).note_formats)
        response = fhir_response(body, pretty=_pretty(request))
    else:
        response = fhir_response(resource.body, pretty=_pretty(request))
    response["ETag"] = f'W/"{resource.version_id}"'
    response["Last-Modified"] = http_date(resource.last_updated.timestamp())
    return response


@fhir_endpoint()
def search(request, call: Call, resource_type: str):
    """GET [type]?params."""
    return _search(request, call, resource_type, _pairs(request.GET))


@fhir_endpoint(methods=("GET", "POST"))
def search_post(request, call: Call, resource_type: str):
    """POST [type]/_search with a form body (query-string parameters count too)."""
    return _search(request, call, resource_type, _pairs(request.GET) + _pairs(request.POST))


@fhir_endpoint(methods=("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request, call: Call, path: str = ""):
    """Anything else under the FHIR base."""
    raise FhirError(404, "Unknown resource type or path")


def _search(request, call: Call, resource_type: str, params: list[tuple[str, str]]):
    _require_supported(resource_type)
    if resource_type in catalog.READ_ONLY and not call.vendor:
        raise FhirError(400, f"{resource_type} cannot be searched", code="not-supported")
    params = enforce.search_params(call.vendor, resource_type, params)
    paging = enforce.paging(call.vendor, call.tenant)
    parsed = parse_search(
        resource_type,
        params,
        default_count=paging.default_count,
        max_count=paging.max_count,
        token_scope=paging.token_scope,
    )
    access = access_for(call.bearer, resource_type, "s")
    access.require_patients(parsed.named_patients)
    include_access = {target: _optional_access(call, target) for _, target in parsed.includes}
    page = run_search(parsed, access, include_access)
    broken = faults.NEXT_BROKEN in call.faults
    bundle = searchset(request, parsed, page, broken_next=broken, page_param=paging.page_param)
    if resource_type == "DocumentReference" and (formats := emulation_for(call.vendor).note_formats):
        binary.add_note_formats(bundle, formats)
    return fhir_response(bundle, pretty=parsed.pretty)


def _optional_access(call: Call, resource_type: str):
    """What the token may read of an _included type; None when nothing (includes are then left out)."""
    try:
        return access_for(call.bearer, resource_type, "r")
    except FhirError:
        return None


def _require_supported(resource_type: str) -> None:
    if resource_type not in catalog.SEARCH_PARAMS:
        raise FhirError(404, f"Resource type not supported: {resource_type[:64]}")


def _pairs(query_dict) -> list[tuple[str, str]]:
    return [(name, value) for name, values in query_dict.lists() for value in values]


def _pretty(request) -> bool:
    return request.GET.get("_pretty") == "true"
