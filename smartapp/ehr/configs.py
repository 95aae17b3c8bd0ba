"""The registry of EHR registrations: one TOML file per EHR in launch_configs/.

A registration is *enabled* when its client id is known (in the file, or in the environment variable the
file names). Only enabled registrations can be launched from, and only their hosts are reachable.
A file that does not validate stops start-up with a message naming the file and the field.
An optional `[backend]` table names the SMART Backend Services client (private_key_jwt) of the same EHR.
`embedding = "iframe"` says the EHR shows the app inside a frame of its own pages: their origins
(`embedding_origins`, by default the issuer's) may then frame the app, and its cookies are SameSite=None.
Every host a file names must be a public one (smartapp.ehr.config_hosts; loopback in development only),
and an `issuer_pattern` starts with a literal origin: the app's egress is a fixed list of origins.
"""

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from smartapp.ehr.adt_links import AdtLink, AdtLinkInvalid, adt_link
from smartapp.ehr.config_hosts import (
    host_problem,
    is_loopback,
    issuer_pattern,
    origin_text,
    split_host_port,
)
from smartapp.ehr.profiles.rules import POPULATION_STRATEGIES

PERSONAS = ("clinician", "patient", "coordinator", "backend")
EMBEDDINGS = ("window", "iframe")
CLIENT_AUTH = ("public", "client_secret_basic", "private_key_jwt")
VENDORS = ("sandbox", "smart_launcher", "epic", "oracle", "athena", "meditech")
_LOOPBACK = re.compile(r"^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[?::1\]?)$")


_FIELDS = frozenset(
    [
        "name",
        "title",
        "vendor",
        "issuer",
        "issuer_pattern",
        "client_id",
        "client_id_env",
        "client_auth",
        "client_secret_env",
        "scope_grammar",
        "scopes",
        "extra_hosts",
        "coordinators",
        "embedding",
        "embedding_origins",
        "notes",
        "backend",
        "tracking_days",
        "group_id",
        "group_id_env",
        "population",
        "adt",
    ]
)
_BACKEND_FIELDS = frozenset(["client_id", "client_id_env", "client_auth"])


class ConfigInvalid(ImproperlyConfigured):
    pass


@dataclass(frozen=True)
class LaunchConfig:
    name: str
    title: str
    vendor: str
    issuer: str  # canonical FHIR base; "" when the config has an issuer_pattern instead
    issuer_pattern: str
    client_id: str
    client_auth: str
    client_secret: str = field(repr=False)
    scope_grammar: str
    scopes: dict[str, str]
    extra_hosts: tuple[str, ...]
    coordinators: frozenset[str]
    embedding: str
    source: str
    backend_client_id: str = ""  # the Backend Services client ("" when none is registered or known)
    embedding_origins: tuple[str, ...] = ()  # origins that may frame the app (only with embedding "iframe")
    # The referral worklists' lookback (referrals/horizon.py); None: settings.REFERRAL_TRACKING_DAYS.
    tracking_days: int | None = None
    # The FHIR Group of the patients the background sync follows (Bulk Data `$export` on a Group, or the
    # panel of a per-patient sync); "" when the EHR has none for this app (ehr/population/).
    group_id: str = ""
    # The registration's choice of how the sync reads population data ("" = the vendor profile's), e.g.
    # "per_patient" at an Epic organisation that has not enabled Bulk Data (ehr/population/).
    population: str = ""
    # The HL7 v2 ADT feed of this EHR's interface engine (ehr/adt_links.py, docs/adt.md); None: no feed.
    adt: AdtLink | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)

    def as_backend(self) -> "LaunchConfig | None":
        """This registration as its SMART Backend Services client (private_key_jwt), or None without one.

        Backend Services need the EHR's own registration to be enabled: its hosts are the egress allow-list.
        """
        if not (self.enabled and self.backend_client_id):
            return None
        return replace(
            self, client_id=self.backend_client_id, client_auth="private_key_jwt", client_secret=""
        )

    def matches_issuer(self, iss: str) -> bool:
        """Exact match on the canonical issuer, or: the pattern's literal origin exactly and its path
        pattern fully matching the issuer's path (no dot segments); never a prefix."""
        canonical = canonical_issuer(iss)
        if canonical is None:
            return False
        if self.issuer:
            return canonical == self.issuer
        pattern = issuer_pattern(self.issuer_pattern)
        path = urlsplit(canonical).path
        if pattern is None or _origin(canonical) != pattern.origin or _has_dot_segment(path):
            return False
        return re.fullmatch(f"(?:{pattern.path})", path[1:]) is not None

    def origins(self) -> frozenset[str]:
        """The origins (scheme, host, port) this registration's EHR lives on: its issuer's (or issuer
        pattern's) and those of `extra_hosts` (https; http too for a loopback host in development)."""
        pattern = None if self.issuer else issuer_pattern(self.issuer_pattern)
        own = _origin(self.issuer) if self.issuer else (pattern.origin if pattern else "")
        origins = {own} if own else set()
        for host, port in filter(None, map(split_host_port, self.extra_hosts)):
            origins.add(origin_text("https", host, port))
            if is_loopback(host):
                origins.add(origin_text("http", host, port))
        return frozenset(origins)

    def hosts(self) -> set[str]:
        return {host for origin in self.origins() if (host := urlsplit(origin).hostname)}

    def scope_for(self, persona: str) -> str:
        return self.scopes.get(persona, "")


def canonical_issuer(url: str) -> str | None:
    """scheme://host[:port]/path with lower-case scheme and host, no default port, no trailing slash;
    None for anything that is not a plain http(s) URL (userinfo, query, fragment, odd ports...)."""
    if not isinstance(url, str) or len(url) > 2000 or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if scheme == "http" and not _LOOPBACK.match(host):
        return None  # tokens only over TLS, except to the loopback sandbox (SMART "App protection")
    default = {"http": 80, "https": 443}[scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port and port != default:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


def _loopback_ok() -> bool:
    """Loopback EHRs (the sandbox, test fakes) are for development; production refuses them."""
    return not getattr(settings, "PRODUCTION", False)


def _host_checked(source: str, field_name: str, host: str) -> None:
    if problem := host_problem(host, loopback_ok=_loopback_ok()):
        _fail(source, f"`{field_name}` names {problem} ({host!r}); only public hosts are allowed")


def _fail(source: str, message: str):
    raise ConfigInvalid(f"launch config {source}: {message}")


def _parse(path: Path) -> LaunchConfig:
    source = path.name
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        _fail(source, f"cannot be read as TOML ({error})")
    if unknown := set(data) - _FIELDS:
        _fail(source, f"unknown field(s) {sorted(unknown)}")
    name = data.get("name", "")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,40}", name) or f"{name}.toml" != source:
        _fail(source, "`name` must be lower-case letters, digits, - or _, and match the file name")
    vendor = data.get("vendor")
    if vendor not in VENDORS:
        _fail(source, f"`vendor` must be one of {VENDORS}")
    issuer, pattern = _issuer(source, data)
    client_auth = data.get("client_auth", "public")
    if client_auth not in CLIENT_AUTH:
        _fail(source, f"`client_auth` must be one of {CLIENT_AUTH}")
    if data.get("scope_grammar", "v2") not in ("v1", "v2"):
        _fail(source, "`scope_grammar` must be v1 or v2")
    scopes = data.get("scopes", {})
    if not isinstance(scopes, dict) or set(scopes) - set(PERSONAS):
        _fail(source, f"`[scopes]` may only name {PERSONAS}")
    client_id = data.get("client_id") or os.environ.get(data.get("client_id_env", ""), "")
    if vendor == "sandbox" and not settings.SANDBOX_ENABLED:
        client_id = ""  # the built-in sandbox is not served, so its registration is off
    secret = os.environ.get(data.get("client_secret_env", ""), "")
    if client_id and client_auth == "client_secret_basic" and not secret:
        _fail(source, f"client_secret_basic needs the secret in ${data.get('client_secret_env', '?')}")
    backend_client_id = _backend_client_id(source, data)  # validated even while the registration is off
    embedding, embedding_origins = _embedding(source, data, issuer)
    return LaunchConfig(
        name=name, title=data.get("title", name), vendor=vendor, issuer=issuer, issuer_pattern=pattern,
        client_id=client_id, client_auth=client_auth, client_secret=secret,
        scope_grammar=data.get("scope_grammar", "v2"),
        scopes={persona: " ".join(scope.split()) for persona, scope in scopes.items()},
        extra_hosts=_extra_hosts(source, data.get("extra_hosts", [])),
        coordinators=frozenset(data.get("coordinators", [])), embedding=embedding,
        source=source, backend_client_id=backend_client_id if client_id else "",
        embedding_origins=embedding_origins, tracking_days=_tracking_days(source, data),
        group_id=_group_id(source, data),
        population=_population(source, data),
        adt=_adt(source, data),
    )  # fmt: skip


def _adt(source: str, data: dict) -> AdtLink | None:
    try:
        return adt_link(data.get("adt"), loopback_ok=_loopback_ok())
    except AdtLinkInvalid as error:
        _fail(source, str(error))


def _population(source: str, data: dict) -> str:
    population = data.get("population", "")
    if population and population not in POPULATION_STRATEGIES:
        _fail(source, f"`population` must be one of {POPULATION_STRATEGIES}")
    return population


def _group_id(source: str, data: dict) -> str:
    """`group_id`, or the value of the environment variable `group_id_env` names (the EHR's organisation
    creates the Group for the app, so its id differs per deployment); "" when neither gives one."""
    if data.get("group_id") and data.get("group_id_env"):
        _fail(source, "give at most one of `group_id` and `group_id_env`")
    group_id = data.get("group_id") or os.environ.get(str(data.get("group_id_env", "")), "")
    if not isinstance(group_id, str) or (group_id and not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", group_id)):
        _fail(source, "`group_id` must be a FHIR id (letters, digits, - and ., up to 64)")
    return group_id


def _tracking_days(source: str, data: dict) -> int | None:
    days = data.get("tracking_days")
    if days is not None and (type(days) is not int or not 1 <= days <= 36_500):
        _fail(source, "`tracking_days` must be a whole number of days from 1 to 36500")
    return days


def _backend_client_id(source: str, data: dict) -> str:
    """The client id of the optional `[backend]` table (SMART Backend Services), "" if unknown."""
    backend = data.get("backend")
    if backend is None:
        return ""
    if not isinstance(backend, dict) or set(backend) - _BACKEND_FIELDS:
        _fail(source, f"`[backend]` may only name {sorted(_BACKEND_FIELDS)}")
    if bool(backend.get("client_id")) == bool(backend.get("client_id_env")):
        _fail(source, "`[backend]` needs exactly one of `client_id` and `client_id_env`")
    if backend.get("client_auth", "private_key_jwt") != "private_key_jwt":
        _fail(source, "`[backend]` client_auth must be private_key_jwt (SMART Backend Services)")
    scope = data.get("scopes", {}).get("backend", "")
    scopes = scope.split() if isinstance(scope, str) else []
    if not scopes or not all(s.startswith("system/") for s in scopes):
        _fail(source, "`[backend]` needs `[scopes] backend` made of system/ scopes only")
    return backend.get("client_id") or os.environ.get(backend["client_id_env"], "")


def _embedding(source: str, data: dict, issuer: str) -> tuple[str, tuple[str, ...]]:
    """("window" | "iframe", the origins allowed to frame the app): only exact origins, never wildcards."""
    embedding, origins = data.get("embedding", "window"), data.get("embedding_origins", [])
    if embedding not in EMBEDDINGS:
        _fail(source, f"`embedding` must be one of {EMBEDDINGS}")
    if not isinstance(origins, list) or not all(
        isinstance(o, str) and canonical_issuer(o) == o and urlsplit(o).path == "" for o in origins
    ):
        _fail(source, "`embedding_origins` must list origins like https://ehr.example.org (no path)")
    for origin in origins:
        _host_checked(source, "embedding_origins", urlsplit(origin).hostname)
    if embedding == "window":
        return embedding, ()
    if not origins and not issuer:
        _fail(source, '`embedding = "iframe"` with an `issuer_pattern` needs `embedding_origins`')
    return embedding, tuple(origins) or (_origin(issuer),)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _issuer(source: str, data: dict) -> tuple[str, str]:
    raw, pattern = data.get("issuer", ""), data.get("issuer_pattern", "")
    if bool(raw) == bool(pattern):
        _fail(source, "give exactly one of `issuer` and `issuer_pattern`")
    if pattern:
        _issuer_pattern(source, pattern)
        return "", pattern
    issuer = canonical_issuer(raw.replace("{app_origin}", settings.APP_ORIGIN))
    if issuer is None:
        _fail(source, "`issuer` must be an https URL (http only on loopback) without query or fragment")
    _host_checked(source, "issuer", urlsplit(issuer).hostname)
    return issuer, ""


def _issuer_pattern(source: str, pattern: str) -> None:
    """A pattern is a literal origin and a path pattern: `https://fhir\\.example\\.org/r4/[0-9a-f]{8}`.

    The scheme, host (dots escaped as \\.) and port are literal; the pattern may only vary the path after
    the first "/". So it names one origin, like an `issuer`, and the egress allow-list stays a fixed list.
    """
    try:
        re.compile(pattern)
    except (re.error, TypeError):
        _fail(source, "`issuer_pattern` is not a valid regular expression")
    parts = issuer_pattern(pattern)
    if parts is None:
        _fail(
            source,
            "`issuer_pattern` must start with a literal origin, e.g. https://fhir\\.example\\.org/ "
            "(scheme, host with escaped dots, optional port; no wildcard before the first /)",
        )
    if parts.origin.startswith("http://") and not is_loopback(parts.host):
        _fail(source, "`issuer_pattern` must be https (http only on loopback)")
    _host_checked(source, "issuer_pattern", parts.host)


def _extra_hosts(source: str, entries) -> tuple[str, ...]:
    """`extra_hosts`: "host" or "host:port" entries (https origins), each a public host."""
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        _fail(source, "`extra_hosts` must be a list of host names")
    for entry in entries:
        parsed = split_host_port(entry)
        if parsed is None:
            _fail(source, f"`extra_hosts` entry {entry!r} must be a host or host:port (no scheme or path)")
        _host_checked(source, "extra_hosts", parsed[0])
    return tuple(entry.lower() for entry in entries)


@cache
def all_configs() -> tuple[LaunchConfig, ...]:
    """Every registration in LAUNCH_CONFIGS_DIR, validated, sorted by name."""
    paths = sorted(Path(settings.LAUNCH_CONFIGS_DIR).glob("*.toml"))
    configs = tuple(_parse(path) for path in paths)
    _facilities_unique(configs)
    return configs


def _facilities_unique(configs: tuple[LaunchConfig, ...]) -> None:
    """An ADT sending facility (MSH-4) names one registration: its messages must go to one EHR."""
    seen: dict[str, str] = {}
    for config in configs:
        for facility in config.adt.facilities if config.adt else ():
            if facility in seen:
                _fail(config.source, f"`[adt] facilities` names {facility!r}, as {seen[facility]} does")
            seen[facility] = config.source


def by_facility(facility: str) -> LaunchConfig | None:
    """The enabled registration whose `[adt] facilities` list `facility` (MSH-4, exact); else None."""
    return next((c for c in enabled_configs() if c.adt and facility in c.adt.facilities), None)


def enabled_configs() -> list[LaunchConfig]:
    return [config for config in all_configs() if config.enabled]


def by_name(name: str) -> LaunchConfig | None:
    return next((c for c in enabled_configs() if c.name == name), None)


def for_issuer(iss: str) -> LaunchConfig | None:
    """The enabled registration whose issuer is `iss`; None for anything unknown or malformed."""
    return next((c for c in enabled_configs() if c.matches_issuer(iss)), None)


def allowed_origins() -> frozenset[str]:
    """The egress allow-list: the origins of enabled registrations plus EGRESS_ALLOWED_HOSTS (bare hosts:
    any port of them; or origins)."""
    entries = {entry.lower() for entry in settings.EGRESS_ALLOWED_HOSTS}
    for config in enabled_configs():
        entries |= config.origins()
    return frozenset(entries)


def allowed_hosts() -> frozenset[str]:
    """Hosts the app may send requests to: those of enabled registrations plus EGRESS_ALLOWED_HOSTS."""
    hosts = set(settings.EGRESS_ALLOWED_HOSTS)
    for config in enabled_configs():
        hosts |= config.hosts()
    return frozenset(h.lower() for h in hosts)


def embedding_origins() -> frozenset[str]:
    """Origins of the EHR pages that frame the app: those of enabled registrations with embedding "iframe"."""
    return frozenset(origin for config in enabled_configs() for origin in config.embedding_origins)


def _reset(setting, **kwargs):
    if setting in ("LAUNCH_CONFIGS_DIR", "APP_ORIGIN", "EGRESS_ALLOWED_HOSTS"):
        all_configs.cache_clear()


setting_changed.connect(_reset)
