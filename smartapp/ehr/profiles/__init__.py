"""One profile per EHR vendor, chosen by the registration's `vendor` field."""

from smartapp.ehr.profiles.athena import AthenaProfile
from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.epic import EpicProfile
from smartapp.ehr.profiles.meditech import MeditechProfile
from smartapp.ehr.profiles.oracle import OracleProfile
from smartapp.ehr.profiles.sandbox import SandboxProfile
from smartapp.ehr.profiles.smart_launcher import SmartLauncherProfile

PROFILES: dict[str, type[VendorProfile]] = {
    "sandbox": SandboxProfile,
    "smart_launcher": SmartLauncherProfile,
    "epic": EpicProfile,
    "oracle": OracleProfile,
    "athena": AthenaProfile,
    "meditech": MeditechProfile,
}

__all__ = ["PROFILES", "VendorProfile", "profile_for"]


def profile_for(config) -> VendorProfile:
    """The profile of `config.vendor` (configs only accept known vendors, so this never guesses)."""
    return PROFILES[config.vendor]()
