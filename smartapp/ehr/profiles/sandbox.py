"""The built-in sandbox EHR follows SMART 2.x strictly (docs/sandbox.md): no overrides."""

from smartapp.ehr.profiles.base import VendorProfile


class SandboxProfile(VendorProfile):
    pass
