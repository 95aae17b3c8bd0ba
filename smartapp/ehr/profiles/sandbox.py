"""The built-in sandbox EHR follows SMART 2.x strictly (docs/sandbox.md): no overrides.

Its search takes `_lastUpdated` and ServiceRequest `category` but not `_sort` (a 400, like any parameter
it does not know): the base profile's defaults.
"""

from smartapp.ehr.profiles.base import VendorProfile


class SandboxProfile(VendorProfile):
    pass
