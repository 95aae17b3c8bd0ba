"""SMART Health IT's reference launcher: lenient (replayable codes, no jti check) but SMART-shaped.

Nothing differs on the app's side; smartapp never relies on it to catch abuse (SECURITY.md §0.3).
"""

from smartapp.ehr.profiles.base import VendorProfile


class SmartLauncherProfile(VendorProfile):
    pass
