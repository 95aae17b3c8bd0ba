"""Vendor emulations: the sandbox serving its data under a vendor's FHIR base and rules.

`rules_for(vendor)` is the rule table (the shape the app's profiles share, compared by
tests/test_vendor_tables.py); `emulation_for(vendor)` the sandbox-only facts. "" is the plain sandbox.
"""

from smartapp.sandbox.vendors import athena, epic, meditech, oracle, plain
from smartapp.sandbox.vendors.emulation import PLAIN, Emulation
from smartapp.sandbox.vendors.rules import SearchRule, VendorRules

_MODULES = {"epic": epic, "oracle": oracle, "athena": athena, "meditech": meditech}
VENDORS = tuple(_MODULES)

__all__ = ["VENDORS", "Emulation", "SearchRule", "VendorRules", "emulation_for", "rules_for"]


def rules_for(vendor: str) -> VendorRules:
    """The rule table of `vendor` ("" = the plain sandbox); KeyError for an unknown vendor."""
    return plain.RULES if vendor == "" else _MODULES[vendor].RULES


def emulation_for(vendor: str) -> Emulation:
    """The sandbox-only emulation facts of `vendor` ("" = the plain sandbox)."""
    return PLAIN if vendor == "" else _MODULES[vendor].EMULATION
