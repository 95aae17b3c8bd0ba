"""Reading FHIR files into entries: Bundles (transaction, batch, collection, searchset), single resources
and NDJSON. No database; every error names the file and the entry, never the resource's contents."""

import json
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".json", ".ndjson")
BUNDLE_TYPES = frozenset({"transaction", "batch", "collection", "searchset"})
# Entries of a searchset that are not resources of the result (https://hl7.org/fhir/R4/bundle.html#searchset).
SKIPPED_SEARCH_MODES = frozenset({"outcome"})


class ImportFailed(Exception):
    """The import cannot go on; the message names the file and entry, never patient data."""


@dataclass(frozen=True)
class Entry:
    where: str  # "Elidia.json entry 12" or "patients.ndjson line 3"
    resource: dict
    full_url: str = ""
    request_url: str = ""  # a transaction/batch entry's request.url ("Patient/123" for a PUT)

    def fail(self, message: str) -> ImportFailed:
        rtype = self.resource.get("resourceType") if isinstance(self.resource, dict) else None
        kind = f" ({rtype})" if isinstance(rtype, str) and rtype.isalnum() and len(rtype) <= 64 else ""
        return ImportFailed(f"{self.where}{kind}: {message}")


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Files to read: each file as given; for a directory, its *.json and *.ndjson files, sorted."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise ImportFailed(f"{path}: no such file or directory")
    return files


def read_entries(path: Path) -> list[Entry]:
    """The entries of one file (NDJSON when its name ends in .ndjson, else one JSON document)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path.name}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    if path.suffix == ".ndjson":
        return _ndjson_entries(path.name, text)
    return document_entries(path.name, _parse(text, path.name))


def document_entries(name: str, document) -> list[Entry]:
    """The entries of one JSON document: a Bundle's resources, or the document itself as one resource."""
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise ImportFailed(f"{name}: not a FHIR resource or Bundle (no resourceType)")
    if document["resourceType"] != "Bundle":
        return [Entry(name, document)]
    bundle_type = document.get("type")
    if bundle_type not in BUNDLE_TYPES:
        allowed = ", ".join(sorted(BUNDLE_TYPES))
        raise ImportFailed(f"{name}: a Bundle of type {str(bundle_type)[:32]!r} (expected {allowed})")
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        raise ImportFailed(f"{name}: Bundle.entry is not a list")
    return [e for i, raw in enumerate(entries) if (e := _bundle_entry(f"{name} entry {i}", raw)) is not None]


def _bundle_entry(where: str, raw) -> Entry | None:
    if not isinstance(raw, dict):
        raise ImportFailed(f"{where}: not a Bundle entry")
    if (raw.get("search") or {}).get("mode") in SKIPPED_SEARCH_MODES:
        return None
    request = raw.get("request") or {}
    if request.get("method") not in (None, "POST", "PUT"):
        raise ImportFailed(f"{where}: request method {str(request.get('method'))[:16]!r} is not supported")
    resource = raw.get("resource")
    if not isinstance(resource, dict):
        raise ImportFailed(f"{where}: the entry has no resource")
    return Entry(where, resource, _text(raw.get("fullUrl")), _text(request.get("url")))


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _ndjson_entries(name: str, text: str) -> list[Entry]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            entries.append(Entry(f"{name} line {number}", _parse(line, f"{name} line {number}")))
    return entries


def _parse(text: str, where: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # The decoder's message is a position ("Expecting value: line 1 column 1"), never file content.
        raise ImportFailed(f"{where}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
