"""The vendor profile: the hooks where one EHR differs from the SMART specification's defaults.

A vendor's profile overrides only the hooks where it differs (STYLE.md convention 1); nothing outside
`ehr/profiles/` asks which vendor it is talking to.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from smartapp.ehr import configs
from smartapp.ehr.errors import LaunchRejected
from smartapp.ehr.profiles.rules import VendorRules
from smartapp.ehr.profiles.validity import supported_includes
from smartapp.ehr.scopes import in_grammar

if TYPE_CHECKING:
    from smartapp.ehr.configs import LaunchConfig
    from smartapp.ehr.discovery import SmartEndpoints

REFERRAL_CATEGORY = "http://snomed.info/sct|3457005"
# The `_include`s the sync would like, per type: who asked for and who performs a referral, who wrote a note.
PEOPLE_INCLUDES = {
    "ServiceRequest": ("ServiceRequest:requester", "ServiceRequest:performer"),
    "DocumentReference": ("DocumentReference:author",),
}
_REFERENCE = re.compile(r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})")


class VendorProfile:
    """SMART as specified. A subclass names its vendor's rule table (`rules`); the flags below derive from
    it, so each vendor's behaviour lives in one place (its table, with the sources beside each rule)."""

    rules: VendorRules  # set by every subclass
    # The user types a `fhirUser` may name (SMART App Launch 2.x §fhirUser).
    fhir_user_types: frozenset[str] = frozenset({"Practitioner", "Patient", "RelatedPerson", "Person"})

    @property
    def keeps_refresh_token_on_refresh(self) -> bool:
        """A refresh answered without a new refresh token leaves the one we hold valid (Oracle Health)."""
        return not self.rules.refresh_rotates

    @property
    def advertises_pkce(self) -> bool:
        """athena supports PKCE without listing it in discovery; smartapp sends S256 to every EHR."""
        return self.rules.advertises_pkce

    @property
    def sorts_by_last_updated(self) -> bool:
        """`_sort=_lastUpdated` is honoured. FHIR R4 makes `_sort` optional and a strict server answers 400
        to a parameter it does not support, so it is sent only where the table says so."""
        return self.rules.sorts_by_last_updated

    @property
    def referral_category(self) -> str:
        """The ServiceRequest `category` token of a referral (US Core's SNOMED CT 3457005 "Patient
        referral"); "" where ServiceRequest cannot be searched by category: the sync then takes every
        request and the mapper keeps the referrals."""
        rule = self.rules.search.get("ServiceRequest")
        return REFERRAL_CATEGORY if rule is not None and "category" in rule.accepted else ""

    @property
    def patient_includes(self) -> dict[str, str]:
        """Per searched type, the `_include` that brings the Patients along (their names on the worklist),
        where the vendor supports it."""
        return {
            resource_type: f"{resource_type}:patient"
            for resource_type, rule in self.rules.search.items()
            if f"{resource_type}:patient" in rule.includes
        }

    @property
    def people_includes(self) -> dict[str, tuple[str, ...]]:
        """Per searched type, the supported `_include`s of the people its resources name (requester,
        performer, author: their names on the worklist)."""
        found = {t: supported_includes(self.rules, t, wanted) for t, wanted in PEOPLE_INCLUDES.items()}
        return {resource_type: values for resource_type, values in found.items() if values}

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
