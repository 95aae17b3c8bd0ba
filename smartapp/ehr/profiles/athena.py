"""athenahealth: PKCE works but is missing from discovery; rate limits may come back as 403."""

from smartapp.ehr.profiles.base import VendorProfile


class AthenaProfile(VendorProfile):
    advertises_pkce = False  # so a discovery document without code_challenge_methods is not worth a warning
