"""Oracle Health (Cerner) Millennium: tenant-scoped URLs, authorization on authorization.cerner.com."""

from smartapp.ehr.profiles.base import VendorProfile


class OracleProfile(VendorProfile):
    # A refresh answers without a new refresh token; the one we hold stays valid (Oracle authorization docs).
    keeps_refresh_token_on_refresh = True
