"""One smartapp registration per vendor, pointed at the sandbox's emulation of that vendor on the live server.

Each registration starts from the shipped launch_configs/<vendor>.toml (its scopes, client authentication and
`[backend]` are what the matrix proves), with only what a live test must change: the issuer becomes the
vendor base on the live server (docs/sandbox.md "Vendor emulation"), client ids are literal, secrets come
from this process's environment, the coordinator is the sandbox's, and a registration that names a Group
(`group_id`, `group_id_env`) names a small panel Group instead.
The matching clients are registered with the sandbox under that vendor (ClientProfile.vendor).
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import ClientProfile
from smartapp.sandbox.synthetic import catalog

VENDORS = ("sandbox", "epic", "oracle", "athena", "meditech")
# Any UUID-shaped tenant is accepted by the Oracle emulation; tokens are bound to it.
TENANT = "3f2c6a1e-8b4d-4c7a-9e15-2d6b0a9c7f41"
FHIR_PATHS = {
    "sandbox": "/sandbox/fhir",
    "epic": "/sandbox/epic/api/FHIR/R4",
    "oracle": f"/sandbox/oracle/r4/{TENANT}",
    "athena": "/sandbox/athena/fhir/r4",
    "meditech": "/sandbox/meditech/v2/uscore/R4",
}
SECRET_ENV = "MATRIX_CLIENT_SECRET"
SECRET = "matrix-client-secret"
COORDINATOR = f"Practitioner/{catalog.COORDINATOR_ID}"
# The follow-up sync's panel: the smallest set of patients with referrals in every follow-up state
# (pat-009), referrals and hospital stays (pat-007), an emergency stay (pat-008), a referral and a stay
# next to the medication scenarios (pat-002).
PANEL_GROUP = "matrix-panel"
PANEL = ("pat-002", "pat-007", "pat-008", "pat-009")


@dataclass(frozen=True)
class Registration:
    vendor: str
    name: str  # the registration's (and callback path's) name
    origin: str  # the live server's origin, as the app knows it
    client_id: str
    backend_client_id: str  # "" when the shipped registration has no [backend]
    group_id: str  # PANEL_GROUP where the shipped registration names a Group, else ""

    @property
    def fhir_path(self) -> str:
        return FHIR_PATHS[self.vendor]

    @property
    def issuer(self) -> str:
        return f"{self.origin}{self.fhir_path}"

    @property
    def sandbox_vendor(self) -> str:
        return "" if self.vendor == "sandbox" else self.vendor


def other_loopback(origin: str) -> str:
    """host:port of the same server under its other loopback name (Oracle's separate authorization host)."""
    parts = urlsplit(origin)
    other = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
    return f"{other}:{parts.port}"


def shipped(vendor: str) -> dict:
    path = Path(settings.BASE_DIR) / "launch_configs" / f"{vendor}.toml"
    return tomllib.loads(path.read_text())


def registration_text(registration: Registration) -> str:
    """The TOML of `registration`: the shipped file's scopes and client authentication, on the live server."""
    data = shipped(registration.vendor)
    # The ADT feed ([adt], a nested table) is not what the matrix tests: tests/adt/ do.
    for replaced in ("issuer_pattern", "client_id_env", "group_id_env", "group_id", "adt"):
        data.pop(replaced, None)
    data.update(
        name=registration.name,
        issuer=registration.issuer,
        client_id=registration.client_id,
        coordinators=[COORDINATOR],
        extra_hosts=[other_loopback(registration.origin)] if registration.vendor == "oracle" else [],
    )
    if registration.group_id:
        data["group_id"] = registration.group_id
    if data.get("client_auth", "public") == "client_secret_basic":
        data["client_secret_env"] = SECRET_ENV
    if "backend" in data:
        data["backend"] = {"client_id": registration.backend_client_id, "client_auth": "private_key_jwt"}
    return toml_text(data)


def toml_text(data: dict) -> str:
    """The small TOML subset launch configs use: strings, numbers, lists of strings, one level of tables."""
    plain = [f"{key} = {_value(value)}" for key, value in data.items() if not isinstance(value, dict)]
    tables = [
        f"\n[{key}]\n" + "\n".join(f"{k} = {_value(v)}" for k, v in value.items())
        for key, value in data.items()
        if isinstance(value, dict)
    ]
    return "\n".join(plain) + "\n" + "\n".join(tables) + "\n"


def _value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, bool | int):
        return str(value).lower()
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def registrations_write(directory: Path, origin: str) -> dict[str, Registration]:
    """One TOML per vendor in `directory` (LAUNCH_CONFIGS_DIR); the Registration of each, by vendor. The
    client secret is read from $MATRIX_CLIENT_SECRET when the configs are parsed (the caller sets it)."""
    found = {}
    for vendor in VENDORS:
        template = shipped(vendor)
        registration = Registration(
            vendor=vendor,
            name=vendor,
            origin=origin,
            client_id=f"matrix-{vendor}",
            backend_client_id=f"matrix-{vendor}-backend" if "backend" in template else "",
            group_id=PANEL_GROUP if {"group_id", "group_id_env"} & set(template) else "",
        )
        (directory / f"{vendor}.toml").write_text(registration_text(registration))
        found[vendor] = registration
    return found


def sandbox_clients_register(registration: Registration) -> None:
    """The vendor's sandbox clients for `registration`: the app (EHR launch, standalone, coordinator) and,
    where the registration has one, its Backend Services client, both under the vendor emulation."""
    confidential = shipped(registration.vendor).get("client_auth", "public") == "client_secret_basic"
    app = clients.register(
        registration.client_id,
        client_type=clients.CONFIDENTIAL if confidential else clients.PUBLIC,
        redirect_uris=[f"{registration.origin}/callback/{registration.name}/"],
        launch_url=f"{registration.origin}/launch/",
        name=f"smartapp ({registration.vendor})",
    ).application
    if confidential:  # stored in the clear: PBKDF2 would cost ~0.3 s a test, and nothing here is secret
        type(app).objects.filter(pk=app.pk).update(client_secret=SECRET, hash_client_secret=False)
    registered = [app]
    if registration.backend_client_id:
        registered.append(
            clients.register(
                registration.backend_client_id,
                client_type=clients.CONFIDENTIAL,
                grant_type=clients.CLIENT_CREDENTIALS,
                jwks={"jwks_uri": f"{registration.origin}/.well-known/jwks.json"},
                name=f"smartapp background sync ({registration.vendor})",
            ).application
        )
    ClientProfile.objects.filter(application__in=registered).update(vendor=registration.sandbox_vendor)
