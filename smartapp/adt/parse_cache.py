"""Parses of stored ADT messages, kept process-wide (process.py reads a visit's messages on every run).

Re-deriving a visit re-reads all its messages, so a long stay whose hundreds of A08s arrive one at a time
would parse its k stored messages again for its k-th (~0.7 ms each: quadratic, 300 updates took ~30 s of
parsing). The parse is a pure function of the raw bytes, which never change once stored, so parses are kept
process-wide (`ParseCache`, least recently used out) and each stored message is parsed once per process while
it stays in. Keyed by a digest of the bytes, not the row id: an id can come back for other bytes (on SQLite a
rolled-back insert hands its id to the next one, as between tests), a digest cannot. Memory is bounded by
CACHE_ENTRIES parses (~3.4 KB for a 1.2 KB A08, ~14 MB full) and by CACHE_RAW_BYTES of the messages they come
from (a parse holds less text than its bytes; a message past the bound is not kept). The parses hold PHI
(names, identifiers, phones) in this process's memory only, like the chart's reuse cache (chart/reuse.py):
never written anywhere, gone when the process ends. What is left per message grows only with the visit's rows
read (id and bytes only) and folded, some µs each (bench/README.md, "ADT processing benchmark").
"""

import hashlib
import threading
from collections import OrderedDict

from django.conf import settings

from .contents import AdtMessage
from .parse import Unparseable
from .zones import parse_in_zone

CACHE_ENTRIES, CACHE_RAW_BYTES = 4096, 8 * 1024 * 1024  # the bounds (docstring)


class ParseCache:
    """Parses of raw messages (None: unparseable) by a digest of their bytes, the least recently used
    dropped past `entries` or `raw_bytes` of raw messages; thread-safe (the listener's processing thread,
    the review views' reprocessing). `entries=0` keeps nothing (the benchmark's baseline)."""

    def __init__(self, *, entries: int = CACHE_ENTRIES, raw_bytes: int = CACHE_RAW_BYTES):
        self.entries, self.raw_bytes = entries, raw_bytes
        self._items: OrderedDict[tuple[str, bytes], tuple[int, AdtMessage | None]] = OrderedDict()
        self._size, self._lock = 0, threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def parse(self, raw: bytes, *, zone: str = "") -> AdtMessage | None:
        """The parse of `raw`, its offset-less times read in `zone` (the feed's, zones.feed_zone; "" for
        settings.TIME_ZONE): the zone is part of what the parse depends on, so part of the key."""
        zone = zone or settings.TIME_ZONE
        key = (zone, hashlib.blake2b(raw, digest_size=16).digest())
        with self._lock:
            if (kept := self._items.get(key)) is not None:
                self._items.move_to_end(key)
                return kept[1]
        message = _parse_or_none(raw, zone)
        if self.entries > 0 and len(raw) <= self.raw_bytes:
            self._keep(key, len(raw), message)
        return message

    def _keep(self, key: tuple[str, bytes], size: int, message: AdtMessage | None) -> None:
        with self._lock:
            if key not in self._items:
                self._items[key], self._size = (size, message), self._size + size
            while len(self._items) > self.entries or self._size > self.raw_bytes:
                self._size -= self._items.popitem(last=False)[1][0]


def _parse_or_none(raw: bytes, zone: str) -> AdtMessage | None:
    try:
        return parse_in_zone(raw, zone)
    except Unparseable:
        return None
