"""SMART scope grammar: v2 (`patient/Observation.rs`) and its v1 equivalent (`patient/Observation.read`).

SMART App Launch 2.x §Scopes for requesting clinical data: v1 `read` = v2 `rs`, v1 `write` = v2 `cud`,
v1 `*` = v2 `cruds`. A v1 server knows nothing of v2 query parameters (`?category=...`), so they are dropped:
the v1 scope is the nearest one the server can grant.
"""

import re

_RESOURCE_SCOPE = re.compile(
    r"(?P<context>patient|user|system)/(?P<type>\*|[A-Za-z]+)\.(?P<perms>[a-z*]+)(\?.*)?"
)
_V2_PERMS = re.compile(r"c?r?u?d?s?")
_READ, _WRITE = set("rs"), set("cud")


def to_v1(scope: str) -> str:
    """One scope in v1 grammar; scopes that are not v2 resource scopes are returned as they are."""
    match = _RESOURCE_SCOPE.fullmatch(scope)
    if not match or not _V2_PERMS.fullmatch(match["perms"]) or not match["perms"]:
        return scope
    perms = set(match["perms"])
    if perms <= _READ:
        access = "read"
    elif perms <= _WRITE:
        access = "write"
    else:
        access = "*"
    return f"{match['context']}/{match['type']}.{access}"


def deduplicated(scopes: list[str]) -> list[str]:
    """`scopes` without repeats, first occurrence kept."""
    return list(dict.fromkeys(scopes))


def in_grammar(scope: str, grammar: str) -> str:
    """A space-separated scope string in `grammar` ("v1" or "v2"), deduplicated, order kept."""
    parts = scope.split()
    if grammar == "v1":
        parts = [to_v1(part) for part in parts]
    return " ".join(deduplicated(parts))


def can_read(granted: str, resource_type: str) -> bool:
    """Whether the granted scope string lets the app read (search) `resource_type`, in either grammar.

    Used to adapt the UI to what the EHR actually granted instead of failing later with 403s.
    """
    for scope in granted.split():
        match = _RESOURCE_SCOPE.fullmatch(scope)
        if not match or match["type"] not in ("*", resource_type):
            continue
        perms = match["perms"]
        if perms in ("read", "*") or (_V2_PERMS.fullmatch(perms) and "s" in perms):
            return True
    return False
