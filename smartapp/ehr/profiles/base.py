"""The vendor profile: the hooks where one EHR differs from the SMART specification's defaults.

A vendor's profile overrides only the hooks where it differs (STYLE.md convention 1); nothing outside
`ehr/profiles/` asks which vendor it is talking to.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from smartapp.ehr import configs
from smartapp.ehr.errors import LaunchRejected
from smartapp.ehr.scopes import in_grammar

if TYPE_CHECKING:
    from smartapp.ehr.configs import LaunchConfig
    from smartapp.ehr.discovery import SmartEndpoints

_REFERENCE = re.compile(r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})")


class VendorProfile:
    """SMART as specified. Subclasses set the flags or override the methods where their vendor differs."""

    # Oracle Health answers a refresh without a new refresh token: the old one stays valid and is kept.
    keeps_refresh_token_on_refresh: bool = False
    # athena supports PKCE without listing it in discovery. smartapp sends S256 to every EHR either way.
    advertises_pkce: bool = True
    # The user types a `fhirUser` may name (SMART App Launch 2.x §fhirUser).
    fhir_user_types: frozenset[str] = frozenset({"Practitioner", "Patient", "RelatedPerson", "Person"})
    # Incremental sync queries (ehr/sync_queries.py). `_sort` is optional in FHIR R4 and a strict server
    # answers 400 to a parameter it does not support, so it is sent only where a vendor is known to honour it.
    sorts_by_last_updated: bool = False
    # The ServiceRequest `category` token of a referral: US Core's SNOMED CT 3457005 "Patient referral";
    # "" for a server that cannot search ServiceRequest by category (the sync then takes every request).
    referral_category: str = "http://snomed.info/sct|3457005"
    # `_include` values that bring a sync search's Patients along (their names for the worklist), per
    # searched type; only where the server is known to support them (a strict server refuses others).
    patient_includes: dict[str, str] = {}  # read-only: subclasses replace it, never update it
    # `_include` values that bring the people a sync search's resources name along (requester, performer,
    # author: their names for the worklist), per searched type; only where the server supports them.
    people_includes: dict[str, tuple[str, ...]] = {}  # read-only, like patient_includes

    def scopes(self, config: LaunchConfig, persona: str, endpoints: SmartEndpoints) -> str:
        """The scopes to ask for as `persona`: v1 grammar unless the config and the server both speak v2."""
        v2 = config.scope_grammar == "v2" and "permission-v2" in endpoints.capabilities
        return in_grammar(config.scope_for(persona), "v2" if v2 else "v1")

    def fhir_user_reference(self, claim: str, iss: str) -> str:
        """ "Type/id" from a `fhirUser` claim that is relative or absolute under the FHIR base `iss`.

        An absolute URL on another server is refused: the user must be someone this EHR knows.
        """
        reference = self._relative(claim, iss)
        match = _REFERENCE.fullmatch(reference)
        if not match or match["id"] in (".", ".."):
            raise LaunchRejected(reason="fhiruser_invalid")
        if match["type"] not in self.fhir_user_types:
            raise LaunchRejected(reason="fhiruser_type")
        return reference

    def _relative(self, claim: str, iss: str) -> str:
        if not isinstance(claim, str) or not claim:
            raise LaunchRejected(reason="fhiruser_invalid")
        if "://" not in claim:
            return claim
        base, absolute = configs.canonical_issuer(iss), configs.canonical_issuer(claim)
        if not base or not absolute or not absolute.startswith(base + "/"):
            raise LaunchRejected(reason="fhiruser_foreign")
        return absolute[len(base) + 1 :]
