"""The three ways of a first sync the population benchmark compares, as app registrations (launch_configs
TOML files written for the run) on the sandbox's vendor bases (docs/sandbox.md, "Vendor emulation").

- bulk export: a registration on the Epic (or Oracle) base with `group_id`: its profile's population is
  `bulk_export` (Bulk Data `$export` on the Group, https://hl7.org/fhir/uv/bulkdata/export.html), read
  with a SMART Backend Services client registered for that vendor. Also on the panel's first tenth (a
  Group of its own), for the memory at N/10.
- system search: the plain sandbox base (population `system_search`), Backend Services.
- per-patient search: the same vendor base as the bulk export, with the registration's
  `population = "per_patient"` (as an organisation without Bulk Data would choose): the panel is the Group's
  members, each searched type by type. athenahealth's and MEDITECH's emulations are per-patient too, but
  neither lets an app read a Group, so from an empty app they have no panel to walk.
"""

from dataclasses import dataclass
from pathlib import Path

from bench.population_seed import GROUP_ALL, GROUP_TENTH

ORACLE_TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d"  # any UUID-shaped tenant is accepted by the sandbox
BASES = {
    "sandbox": "/sandbox/fhir",
    "epic": "/sandbox/epic/api/FHIR/R4",
    "oracle": f"/sandbox/oracle/r4/{ORACLE_TENANT}",
    "athena": "/sandbox/athena/fhir/r4",
    "meditech": "/sandbox/meditech/v2/uscore/R4",
}
SYNC_READS = ("Patient", "ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference", "Group")
# Names of requesters and performers (a bulk export asks `_type` only for those its vendor serves).
PEOPLE = ("Practitioner", "PractitionerRole", "Organization")
PLAIN_BACKEND_CLIENT = "smartapp-backend"  # settings.SANDBOX_BACKEND_CLIENT_ID, registered by the sandbox


@dataclass(frozen=True)
class Way:
    key: str  # bulk | bulk_tenth | search | per_patient
    label: str
    vendor: str  # the sandbox base and the app profile
    group_id: str = ""
    backend_client: str = ""
    population: str = ""  # the registration's choice; "" = the vendor profile's

    @property
    def connection(self) -> str:
        return f"bench-{self.key.replace('_', '-')}"

    @property
    def public_client(self) -> str:
        """The registration's own (launch) client id in the sandbox, bound to the vendor's base."""
        return f"bench-{self.vendor}-app"

    def base(self, origin: str) -> str:
        return f"{origin}{BASES[self.vendor]}"


def ways(*, bulk_vendor: str = "epic") -> tuple[Way, ...]:
    """The ways in the order they run: the small bulk export first, then the three at full size."""
    backend = f"bench-{bulk_vendor}-backend"
    return (
        Way("bulk_tenth", "bulk export (N/10)", bulk_vendor, GROUP_TENTH, backend),
        Way("bulk", "bulk export", bulk_vendor, GROUP_ALL, backend),
        Way("search", "system search", "sandbox", "", PLAIN_BACKEND_CLIENT),
        Way("per_patient", "per-patient search", bulk_vendor, GROUP_ALL, backend, population="per_patient"),
    )


def system_scopes() -> str:
    """The Backend Services scopes every way's sync reads with."""
    return " ".join(f"system/{resource_type}.rs" for resource_type in SYNC_READS + PEOPLE)


def write_config(directory: Path, way: Way, *, port: int) -> Path:
    """The way's launch_configs TOML file (`{app_origin}` is the sandbox's origin in the sync's process)."""
    lines = [
        f'name = "{way.connection}"',
        f'title = "Population benchmark: {way.label}"',
        f'vendor = "{way.vendor}"',
        f'issuer = "{{app_origin}}{BASES[way.vendor]}"',
        f'client_id = "{way.public_client}"',
        'client_auth = "public"',
        'scope_grammar = "v2"',
        f'group_id = "{way.group_id}"',
    ]
    if way.population:
        lines.append(f'population = "{way.population}"')
    if way.vendor == "oracle":  # its authorization server answers on the other loopback name
        lines.append(f'extra_hosts = ["localhost:{port}"]')
    lines += ["", "[scopes]", f'backend = "{system_scopes()}"', "", "[backend]"]
    lines += [f'client_id = "{way.backend_client}"', 'client_auth = "private_key_jwt"']
    path = directory / f"{way.connection}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path
