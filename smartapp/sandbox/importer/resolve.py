"""Turning read entries into the resources to store: ids checked or assigned, references resolved.

Pure: resources already stored are seen only through `stored_matches`, which the caller supplies.
References (https://hl7.org/fhir/R4/references.html): an entry's fullUrl (`urn:uuid:...`) becomes
`Type/id`; a conditional reference (`Patient?identifier=system|value`, as in transaction Bundles,
https://hl7.org/fhir/R4/http.html#trules) becomes the one resource with that identifier; `#x` stays.
"""

import hashlib
import json
import re
from collections.abc import Callable
from urllib.parse import parse_qsl

from .files import Entry
from .r4_types import RESOURCE_TYPES

FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # https://hl7.org/fhir/R4/datatypes.html#id
SERVER_META = ("versionId", "lastUpdated")  # assigned by the sandbox when it stores a resource
UNRESOLVABLE_PREFIXES = ("urn:uuid:", "urn:oid:")

# (resource type, identifier system or None for any, value) -> ids of stored resources with that identifier
StoredMatches = Callable[[str, str | None, str], set[str]]


def resolve_entries(entries: list[Entry], stored_matches: StoredMatches) -> list[dict]:
    """The resources of `entries`, each once, with final ids and resolved references; ImportFailed else."""
    prepared = [(entry, _with_id(entry)) for entry in entries]
    targets = _full_url_targets(prepared)
    resolver = _Resolver(targets, [body for _, body in prepared], stored_matches)
    unique: dict[tuple[str, str], tuple[str, dict]] = {}
    for entry, body in prepared:
        resolved = _walk(body, lambda ref, entry=entry: resolver.resolve(ref, entry))
        key = (resolved["resourceType"], resolved["id"])
        if key in unique and unique[key][1] != resolved:
            raise entry.fail(f"{key[0]}/{key[1]} comes again, with other content than in {unique[key][0]}")
        unique.setdefault(key, (entry.where, resolved))
    return [body for _, body in unique.values()]


def _with_id(entry: Entry) -> dict:
    """The entry's resource, checked, with its id (kept, from the fullUrl, or a hash of its content) and
    without the meta the sandbox assigns."""
    resource = entry.resource
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise entry.fail("the resource has no resourceType")
    if resource["resourceType"] not in RESOURCE_TYPES:
        raise entry.fail("resourceType is not a FHIR R4 resource type")
    fhir_id = resource["id"] if "id" in resource else _implied_id(entry)
    if not isinstance(fhir_id, str) or not FHIR_ID.fullmatch(fhir_id):
        raise entry.fail("the id is not a valid FHIR id ([A-Za-z0-9-.], 1 to 64 characters)")
    body = {**resource, "id": fhir_id}
    meta = {k: v for k, v in (body.pop("meta", None) or {}).items() if k not in SERVER_META}
    return {**body, "meta": meta} if meta else body


def _implied_id(entry: Entry) -> str:
    rtype = entry.resource["resourceType"]
    if entry.full_url.startswith("urn:uuid:"):
        return entry.full_url.removeprefix("urn:uuid:")
    for url in (entry.full_url, entry.request_url):
        head, _, tail = url.rstrip("/").rpartition("/")
        if head.rpartition("/")[2] == rtype and tail:
            return tail
    # Neither: a hash of the content, so that importing the same file again finds the same resource.
    canonical = json.dumps(entry.resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _full_url_targets(prepared: list[tuple[Entry, dict]]) -> dict[str, str]:
    targets: dict[str, str] = {}
    for entry, body in prepared:
        if not entry.full_url:
            continue
        target = f"{body['resourceType']}/{body['id']}"
        if targets.setdefault(entry.full_url, target) != target:
            raise entry.fail("its fullUrl is also the fullUrl of another resource")
    return targets


class _Resolver:
    def __init__(self, targets: dict[str, str], bodies: list[dict], stored_matches: StoredMatches):
        self.targets, self.bodies, self.stored_matches = targets, bodies, stored_matches
        self.conditional: dict[str, str] = {}

    def resolve(self, reference: str, entry: Entry) -> str:
        if reference in self.targets:
            return self.targets[reference]
        if reference.startswith(UNRESOLVABLE_PREFIXES):
            raise entry.fail(f"reference {reference[:80]} does not resolve to any entry")
        rtype, question, query = reference.partition("?")
        if not question or "/" in rtype:
            return reference  # "Type/id", an absolute URL or "#contained": kept as it is
        if reference not in self.conditional:
            self.conditional[reference] = self._conditional(rtype, query, entry)
        return self.conditional[reference]

    def _conditional(self, rtype: str, query: str, entry: Entry) -> str:
        params = parse_qsl(query, keep_blank_values=True)
        if rtype not in RESOURCE_TYPES or len(params) != 1 or params[0][0] != "identifier":
            raise entry.fail(f"conditional reference to {rtype[:64]} is not of the form Type?identifier=...")
        system, value = _token(params[0][1])
        candidates = [body for body in self.bodies if body["resourceType"] == rtype]
        ids = {body["id"] for body in candidates if has_identifier(body, system, value)}
        imported = {body["id"] for body in candidates}
        ids |= self.stored_matches(rtype, system, value) - imported
        if len(ids) != 1:
            found = "no resource" if not ids else f"{len(ids)} resources"
            raise entry.fail(f"conditional reference to {rtype} matches {found} (it must match exactly one)")
        return f"{rtype}/{ids.pop()}"


def _token(value: str) -> tuple[str | None, str]:
    """A token search value: "system|value", "|value" (no system) or "value" (any system)."""
    system, bar, code = value.partition("|")
    return (system, code) if bar else (None, value)


def has_identifier(body: dict, system: str | None, value: str) -> bool:
    """True when one of the resource's identifiers has `value` (and `system`, unless None; "" = none)."""
    identifiers = body.get("identifier")
    return any(
        isinstance(i, dict) and i.get("value") == value and (system is None or i.get("system", "") == system)
        for i in (identifiers if isinstance(identifiers, list) else [identifiers])
    )


def _walk(node, resolve: Callable[[str], str]):
    """A copy of `node` with every `reference` string passed through `resolve`."""
    if isinstance(node, dict):
        return {
            key: resolve(value) if key == "reference" and isinstance(value, str) else _walk(value, resolve)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_walk(item, resolve) for item in node]
    return node
