"""Walking the audit chain: every mac recomputed with the key its event names, every link to the event
before it checked, and the first break classified (SECURITY.md §4.2).

How a break looks, from the event where the walk stops (`last` = the last intact event before it):
- changed:   its mac does not match its content (and the next event still chains to it). A forged event
             that later events chain to looks the same: there is no telling it from an altered one;
- inserted:  it does not belong (a forged mac, or a copy of another event), and the next event chains
             straight to `last`, as if it were not there;
- reordered: it and the next event chain to each other the wrong way round;
- removed:   its mac is genuine but its prev_mac is not `last`'s mac: events before it are gone (a gap in
             seq alone proves nothing, since PostgreSQL sequences skip values on rollback);
- truncated: a head recorded elsewhere (`expect_head`) is no longer in the chain.
"""

import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

from smartapp.audit import chain


@dataclass(frozen=True)
class Head:
    seq: int
    mac: str

    def __str__(self):
        return f"{self.seq}:{self.mac}"

    @classmethod
    def parse(cls, text: str) -> "Head":
        """`SEQ:MAC`, as printed by verify_audit; ValueError otherwise."""
        seq, _, mac = text.strip().partition(":")
        if not seq.isdigit() or len(mac) != 64:
            raise ValueError("expected SEQ:MAC, the head printed by verify_audit")
        return cls(int(seq), mac.lower())


@dataclass(frozen=True)
class Break:
    seq: int
    kind: str  # changed | inserted | reordered | removed | truncated
    reason: str


@dataclass(frozen=True)
class Report:
    count: int  # events verified before the break, or all of them
    head: Head | None  # the last verified event
    broken: Break | None


def chain_verify(events: Iterable, *, expect_head: Head | None = None) -> Report:
    """Check `events` (in seq order, streamed) and stop at the first break."""
    last: Head | None = None
    count, anchor_seen = 0, False
    for event, following in _with_next(events):
        broken = _check(event, following, last)
        if broken is None and expect_head and event.seq == expect_head.seq:
            anchor_seen = True
            if event.mac != expect_head.mac:
                broken = Break(event.seq, "changed", "its mac differs from the head recorded earlier")
        if broken:
            return Report(count, last, broken)
        last, count = Head(event.seq, event.mac), count + 1
    if expect_head and not anchor_seen:
        kind = "truncated" if last is None or expect_head.seq > last.seq else "removed"
        reason = f"the head recorded earlier (seq {expect_head.seq}) is no longer in the chain"
        return Report(count, last, Break(expect_head.seq, kind, reason))
    return Report(count, last, None)


def _check(event, following, last: Head | None) -> Break | None:
    last_mac = last.mac if last else chain.GENESIS
    genuine, linked = _genuine(event), event.prev_mac == last_mac
    if genuine and linked:
        return None
    skipped = following is not None and following.prev_mac == last_mac  # the chain goes on without it
    if not genuine:
        if skipped:
            return Break(event.seq, "inserted", "its mac is forged and the next event chains past it")
        why = (
            "its key id is unknown" if _key(event) is None else "its mac does not match it: altered or forged"
        )
        return Break(event.seq, "changed", why)
    if skipped and event.prev_mac == following.mac:
        return Break(event.seq, "reordered", f"it and seq {following.seq} are in each other's place")
    if skipped:
        return Break(event.seq, "inserted", "a copy of another event; the next event chains past it")
    where = f"between seq {last.seq} and {event.seq}" if last else f"before seq {event.seq}"
    return Break(event.seq, "removed", f"its prev_mac does not match: events are missing {where}")


def _genuine(event) -> bool:
    key = _key(event)
    return key is not None and hmac.compare_digest(chain.mac_for(event, event.prev_mac), event.mac)


def _key(event) -> str | None:
    keys = settings.AUDIT_HMAC_KEYS
    return keys[event.key_id] if 0 <= event.key_id < len(keys) else None


def _with_next(events: Iterable) -> Iterator[tuple]:
    iterator = iter(events)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following
