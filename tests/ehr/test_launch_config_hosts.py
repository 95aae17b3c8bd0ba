"""launch_configs/ names only public hosts, and an issuer pattern only one literal origin (issue 11, #7).

A table of bad values for each field that names a host (`issuer`, `issuer_pattern`, `extra_hosts`,
`embedding_origins`): each stops start-up with the file and the field named. Good values still load;
loopback is allowed in development only. Then the origin rules that follow from a registration:
discovery endpoints, FHIR `next` links and Binary URLs compare scheme, host and port.
"""

import pytest

from smartapp.ehr import configs
from smartapp.ehr.binary import binary_url
from smartapp.ehr.configs import ConfigInvalid
from smartapp.ehr.discovery import check_endpoint
from smartapp.ehr.errors import EhrBadResponse, LaunchRejected
from smartapp.ehr.paging import is_under_base
from tests.ehr.auth_fakes import make_config

HEAD = 'name = "ehr"\nvendor = "epic"\nclient_id = "c"\n'
ISSUER = 'issuer = "https://fhir.example.org/R4"\n'

BAD_HOSTS = {
    "rfc1918-10": "10.0.0.5",
    "rfc1918-172": "172.16.3.4",
    "rfc1918-192": "192.168.1.1",
    "cgnat": "100.64.0.1",
    "link-local": "169.254.10.10",
    "aws-metadata": "169.254.169.254",
    "gcp-metadata-name": "metadata.google.internal",
    "aws-metadata-ipv6": "[fd00:ec2::254]",
    "unique-local-ipv6": "[fc00::1]",
    "link-local-ipv6": "[fe80::1]",
    "ipv4-mapped-private": "[::ffff:10.0.0.5]",
    "unspecified-v4": "0.0.0.0",
    "unspecified-v6": "[::]",
    "multicast": "224.0.0.1",
    "reserved": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "documentation": "192.0.2.10",
    "wildcard": "*",
    "wildcard-label": "*.example.com",
    "decimal-ip": "2130706433",
    "hex-ip": "0x7f.1",
    "short-ip": "10.1",
    "single-label": "intranet",
    "dot-internal": "ehr.internal",
    "dot-local": "ehr.local",
}


def _load(tmp_path, settings, body: str):
    (tmp_path / "ehr.toml").write_text(body)
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    configs.all_configs.cache_clear()
    return configs.all_configs()


def _refused(tmp_path, settings, body: str, field: str) -> str:
    with pytest.raises(ConfigInvalid) as refused:
        _load(tmp_path, settings, body)
    message = str(refused.value)
    assert "ehr.toml" in message and f"`{field}`" in message, message
    return message


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_an_issuer_on_a_forbidden_host_stops_start_up(tmp_path, settings, host):
    _refused(tmp_path, settings, HEAD + f'issuer = "https://{host}/fhir"\n', "issuer")


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_an_extra_host_that_is_forbidden_stops_start_up(tmp_path, settings, host):
    _refused(tmp_path, settings, HEAD + ISSUER + f'extra_hosts = ["{host}"]\n', "extra_hosts")


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_an_embedding_origin_on_a_forbidden_host_stops_start_up(tmp_path, settings, host):
    body = HEAD + ISSUER + f'embedding = "iframe"\nembedding_origins = ["https://{host}"]\n'
    _refused(tmp_path, settings, body, "embedding_origins")


@pytest.mark.parametrize(
    "entry", ["https://auth.example.org", "auth.example.org/path", "auth.example.org:99999", "", "a b.org"]
)
def test_an_extra_host_that_is_not_a_host_stops_start_up(tmp_path, settings, entry):
    _refused(tmp_path, settings, HEAD + ISSUER + f'extra_hosts = ["{entry}"]\n', "extra_hosts")


BAD_PATTERNS = {
    "match-anything": ".*",
    "anchored-anything": "^.*$",
    "any-https": "https://.*",
    "wildcard-host": "https://[a-z]+\\\\.example\\\\.org/r4/.*",
    "wildcard-label": "https://.*\\\\.example\\\\.org/r4",
    "unescaped-dots": "https://fhir.example.org/r4/.*",
    "optional-suffix-host": "https://fhir\\\\.example\\\\.org(\\\\.evil\\\\.test)?/r4",
    "alternation-host": "https://(fhir|evil)\\\\.example\\\\.org/r4",
    "no-path-slash": "https://fhir\\\\.example\\\\.org.*",
    "port-wildcard": "https://fhir\\\\.example\\\\.org:[0-9]+/r4",
    "plain-http": "http://fhir\\\\.example\\\\.org/r4",
    "private-host": "https://10\\\\.0\\\\.0\\\\.5/r4",
    "metadata-host": "https://169\\\\.254\\\\.169\\\\.254/latest",
}


@pytest.mark.parametrize("pattern", BAD_PATTERNS.values(), ids=BAD_PATTERNS.keys())
def test_an_over_broad_issuer_pattern_stops_start_up(tmp_path, settings, pattern):
    _refused(tmp_path, settings, HEAD + f'issuer_pattern = "{pattern}"\n', "issuer_pattern")


GOOD = {
    "issuer": ISSUER,
    "issuer-with-port": 'issuer = "https://fhir.example.org:8443/R4"\n',
    "public-ip": 'issuer = "https://93.184.215.14/fhir"\n',
    "extra-hosts": ISSUER + 'extra_hosts = ["auth.example.org", "Login.Example.org:8443"]\n',
    "oracle-style-pattern": (
        'issuer_pattern = "^https://fhir-ehr-code\\\\.cerner\\\\.com/r4/[0-9a-f]{8}(-[0-9a-f]{4}){3}$"\n'
        'extra_hosts = ["authorization.cerner.com"]\n'
    ),
    "pattern-with-port": 'issuer_pattern = "https://ehr\\\\.example\\\\.org:8443/t/[a-z]+"\n',
    "embedding-origin": ISSUER + 'embedding = "iframe"\nembedding_origins = ["https://portal.example.org"]\n',
    "loopback-in-development": 'issuer = "http://127.0.0.1:8000/sandbox/fhir"\nextra_hosts = ["localhost"]\n',
}


@pytest.mark.parametrize("body", GOOD.values(), ids=GOOD.keys())
def test_good_values_still_load(tmp_path, settings, body):
    assert [c.name for c in _load(tmp_path, settings, HEAD + body)] == ["ehr"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('issuer = "http://127.0.0.1:8000/fhir"\n', "issuer"),
        ('issuer = "https://localhost/fhir"\n', "issuer"),
        ('issuer = "https://[::1]:8443/fhir"\n', "issuer"),
        (ISSUER + 'extra_hosts = ["127.0.0.1"]\n', "extra_hosts"),
        ('issuer_pattern = "http://127\\\\.0\\\\.0\\\\.1:8000/t/[a-z]+"\n', "issuer_pattern"),
    ],
)
def test_loopback_stops_start_up_in_production(tmp_path, settings, body, field):
    settings.PRODUCTION = True
    _refused(tmp_path, settings, HEAD + body, field)


def test_the_shipped_configs_name_only_public_hosts_in_production(settings):
    settings.PRODUCTION = True
    settings.APP_ORIGIN = "https://smartapp.example.org"  # the sandbox's {app_origin} in production
    configs.all_configs.cache_clear()
    assert {"epic", "oracle", "athena", "meditech", "smart-launcher"} <= {
        c.name for c in configs.all_configs()
    }


# -- what a pattern matches: its literal origin, then its path pattern ---------------------------------------
@pytest.mark.parametrize(
    ("iss", "matches"),
    [
        ("https://ehr.example.org/t/abc", True),
        ("https://ehr.example.org:443/t/abc/", True),
        ("https://ehr.example.org/t/abc/extra", True),  # "|.*": any path, on that origin only
        ("https://ehr.example.org:8443/t/abc", False),
        ("https://ehr.example.org.evil.test/t/abc", False),
        ("https://evil.test/t/abc", False),
        ("https://ehr.example.org/t/../abc", False),
        ("https://ehr.example.org/t/%2e%2e", False),
    ],
)
def test_a_pattern_matches_its_own_origin_and_path_only(iss, matches):
    config = make_config("", issuer_pattern=r"https://ehr\.example\.org/t/[a-z.%0-9]+|.*")
    assert config.matches_issuer(iss) is matches  # "|.*" alternates within the path, never the origin


# -- origins: scheme, host and port -----------------------------------------------------------------------
CONFIG = make_config(
    "https://fhir.example.org/R4", extra_hosts=("auth.example.org", "login.example.org:8443")
)


@pytest.mark.parametrize(
    "url",
    [
        "https://fhir.example.org/token",
        "https://fhir.example.org:443/token",
        "https://auth.example.org/authorize",
        "https://login.example.org:8443/authorize",
    ],
)
def test_an_endpoint_on_the_registrations_origins_is_accepted(url):
    assert check_endpoint(url, CONFIG) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://fhir.example.org:8443/token",  # same host, another port
        "https://auth.example.org:444/token",
        "https://login.example.org/authorize",  # its extra host names port 8443 only
        "http://fhir.example.org/token",
        "https://other-ehr.example.org/token",
        "https://fhir.example.org.evil.test/token",
    ],
)
def test_an_endpoint_off_the_registrations_origins_is_refused(url):
    with pytest.raises(LaunchRejected) as refused:
        check_endpoint(url, CONFIG)
    assert refused.value.reason == "discovery_foreign_endpoint"


BASE = "https://fhir.example.org/R4"


@pytest.mark.parametrize(
    ("url", "under"),
    [
        ("https://fhir.example.org/R4/Patient?page=2", True),
        ("https://fhir.example.org:443/R4/Patient?page=2", True),
        ("https://fhir.example.org:8443/R4/Patient?page=2", False),
        ("http://fhir.example.org/R4/Patient", False),
        ("https://FHIR.example.org:0443/R4/Patient", True),
    ],
)
def test_next_links_and_binary_urls_compare_the_port(url, under):
    assert is_under_base(url, BASE) is under
    if under:
        assert binary_url(url, BASE) == url
    else:
        with pytest.raises(EhrBadResponse):
            binary_url(url, BASE)
