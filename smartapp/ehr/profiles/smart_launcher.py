"""SMART Health IT's reference launcher: lenient (replayable codes, no jti check) but SMART-shaped.

Its FHIR server (HAPI) sorts by `_lastUpdated`. smartapp never relies on it to catch abuse (SECURITY.md §0.3).
"""

from smartapp.ehr.profiles.base import VendorProfile


class SmartLauncherProfile(VendorProfile):
    sorts_by_last_updated = True  # a HAPI FHIR server behind the launcher
