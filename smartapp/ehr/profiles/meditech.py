"""MEDITECH Expanse (Greenfield): SMART v1 scopes, which the registration's `scope_grammar = "v1"` selects."""

from smartapp.ehr.profiles.base import VendorProfile


class MeditechProfile(VendorProfile):
    pass
