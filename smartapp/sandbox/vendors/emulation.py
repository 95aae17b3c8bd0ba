"""Sandbox-only facts of a vendor emulation that the app's profiles do not mirror: the shape of `next`
links, clinical-note attachments, `_lastUpdated` prefixes, Binary `Accept`, one export job at a time.

Each vendor module defines one `Emulation`, with a source for every field (STYLE.md convention 11).
"""

from dataclasses import dataclass, field

from smartapp.sandbox.fhir.catalog import PAGE_TOKEN


@dataclass(frozen=True)
class Emulation:
    # The query parameter that carries the (opaque, signed) paging token in `next` links.
    page_param: str = PAGE_TOKEN
    # Content types of extra attachments served with each clinical note (DocumentReference), besides the
    # stored one; each extra attachment points at the same Binary (a response-time transform).
    note_formats: tuple[str, ...] = ()
    # When set, `_lastUpdated` must carry one of these prefixes and a time (else 400).
    last_updated_prefixes: tuple[str, ...] = ()
    # Binary read: `Accept: */*` counts as asking for the content (else only its type or FHIR JSON do).
    binary_accepts_wildcard: bool = True
    # At most one Bulk Data export job in progress per client and tenant (a second kick-off gets 429).
    one_export_job: bool = False
    sources: dict[str, str] = field(default_factory=dict)


PLAIN = Emulation(
    one_export_job=True,
    sources={
        name: "assumption: the plain sandbox's own behaviour (docs/sandbox.md)"
        for name in ("page_param", "note_formats", "last_updated_prefixes", "binary_accepts_wildcard")
    }
    | {
        "one_export_job": "assumption: one job at a time, as Oracle Health, so the app meets the 429 here too"
    },
)
