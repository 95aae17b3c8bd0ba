"""A registration's `[adt]` table: the HL7 v2 ADT feed its hospital's interface engine sends (docs/adt.md).

```toml
[adt]
facilities = ["GENHOSP"]    # MSH-4 (sending facility) values this EHR's interface engine sends as
visit_system = "urn:oid:1.2.3.4.5"   # Encounter.identifier system holding PV1-19 (the visit number)
return_address = "127.0.0.1:2576"    # host:port for enhanced-mode application ACKs ("" = none)
time_zone = "America/Chicago"        # the zone of times the engine sends without an offset ("" = TIME_ZONE)

[adt.identifier_systems]            # PID-3 assigning authority (CX-4 namespace) -> FHIR Identifier.system
GENHOSP = "urn:oid:1.2.3.4.6"
```
A facility names exactly one registration (checked across files in configs.py).
"""

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smartapp.ehr.config_hosts import host_problem, split_host_port

_FIELDS = frozenset(["facilities", "visit_system", "identifier_systems", "return_address", "time_zone"])
_FACILITY = re.compile(r"[^\s|^~\\&]{1,64}")  # an HD namespace id: no v2 delimiter, no space


@dataclass(frozen=True)
class AdtLink:
    """How one EHR's ADT feed maps onto its FHIR API."""

    facilities: tuple[str, ...]  # MSH-4 namespace ids, as sent (matched exactly)
    visit_system: str = ""  # "" = an Encounter.identifier typed VN (v2-0203) holds the visit number
    identifier_systems: dict[str, str] = field(default_factory=dict)  # CX-4 namespace -> Identifier.system
    return_address: str = ""  # "host:port" of the engine's listener for application ACKs
    # The IANA zone of MSH-7, EVN-2, PV1-44/45 sent without an offset (a hospital's local time); "" means
    # settings.TIME_ZONE. Several hospitals in other zones can then share one smartapp.
    time_zone: str = ""


class AdtLinkInvalid(ValueError):
    """The `[adt]` table is wrong: the message names the field."""


def adt_link(table: object, *, loopback_ok: bool) -> AdtLink | None:
    """The `[adt]` table as an AdtLink (None when absent); AdtLinkInvalid naming the field when wrong."""
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) - _FIELDS:
        raise AdtLinkInvalid(f"`[adt]` may only name {sorted(_FIELDS)}")
    facilities = table.get("facilities")
    if not isinstance(facilities, list) or not facilities:
        raise AdtLinkInvalid("`[adt]` needs `facilities`: the MSH-4 values its interface engine sends")
    if not all(isinstance(f, str) and _FACILITY.fullmatch(f) for f in facilities):
        raise AdtLinkInvalid("`[adt] facilities` must be MSH-4 namespace ids (no spaces or v2 delimiters)")
    systems = table.get("identifier_systems", {})
    if not isinstance(systems, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in systems.items()
    ):
        raise AdtLinkInvalid("`[adt.identifier_systems]` maps assigning authorities to Identifier systems")
    visit_system = table.get("visit_system", "")
    if not isinstance(visit_system, str):
        raise AdtLinkInvalid("`[adt] visit_system` must be a string (an Identifier.system)")
    return AdtLink(
        facilities=tuple(facilities),
        visit_system=visit_system,
        identifier_systems=dict(systems),
        return_address=_return_address(table.get("return_address", ""), loopback_ok=loopback_ok),
        time_zone=_time_zone(table.get("time_zone", "")),
    )


def _time_zone(value: object) -> str:
    if value == "":
        return ""
    try:
        ZoneInfo(value)  # type: ignore[arg-type]
    except (ZoneInfoNotFoundError, TypeError, ValueError):
        raise AdtLinkInvalid('`[adt] time_zone` must be an IANA zone name, e.g. "America/Chicago"') from None
    return value  # type: ignore[return-value]


def _return_address(value: object, *, loopback_ok: bool) -> str:
    if value == "":
        return ""
    parts = split_host_port(value) if isinstance(value, str) else None
    if parts is None or parts[1] is None:
        raise AdtLinkInvalid("`[adt] return_address` must be host:port")
    if problem := host_problem(parts[0], loopback_ok=loopback_ok):
        raise AdtLinkInvalid(f"`[adt] return_address` names {problem}")
    return value
