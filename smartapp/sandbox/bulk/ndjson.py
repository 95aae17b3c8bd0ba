"""One export file as NDJSON, streamed: a few hundred rows in memory at a time, each resource's stored JSON
text sent as it is (no decoding and encoding again, as the search bundles do: fhir/results.py)."""

from collections.abc import Iterator

from django.db.models import TextField
from django.db.models.functions import Cast

from smartapp.sandbox.models import Resource

BATCH = 500  # rows per query (and per chunk sent): well under SQLite's limit on query parameters


def ndjson_chunks(ids: list[int]) -> Iterator[bytes]:
    """The resources with these row ids, in this order, one JSON text per line."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows = Resource.objects.filter(pk__in=batch).annotate(raw=Cast("body", TextField()))
        texts = dict(rows.values_list("pk", "raw").iterator(chunk_size=BATCH))
        # A row deleted since the files were fixed is left out; every other line keeps its place.
        yield b"".join(f"{texts[pk]}\n".encode() for pk in batch if pk in texts)
