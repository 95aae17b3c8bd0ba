"""launch_configs/: validation at start-up, issuer matching, the egress allow-list."""

import subprocess
import sys
from pathlib import Path

import pytest

from smartapp.ehr import configs
from smartapp.ehr.configs import ConfigInvalid, canonical_issuer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_dir(tmp_path, settings):
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    return tmp_path


def _write(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.toml").write_text(body)


def test_the_shipped_configs_all_validate():
    names = {c.name for c in configs.all_configs()}
    assert {"sandbox", "smart-launcher", "epic", "oracle", "athena", "meditech"} <= names


def test_only_the_sandbox_is_enabled_without_client_ids_in_the_environment():
    assert [c.name for c in configs.enabled_configs()] == ["sandbox"]


def test_a_client_id_from_the_environment_enables_a_registration(config_dir, monkeypatch):
    _write(
        config_dir,
        "epic",
        'name = "epic"\nvendor = "epic"\nissuer = "https://fhir.example.org/R4"\n'
        'client_id_env = "TEST_EPIC_ID"\n',
    )
    assert configs.by_name("epic") is None
    monkeypatch.setenv("TEST_EPIC_ID", "abc")
    configs.all_configs.cache_clear()
    assert configs.by_name("epic").client_id == "abc"
    assert "fhir.example.org" in configs.allowed_hosts()


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('name = "x"\nvendor = "epic"\nissuer = "https://a.example/fhir"\n', "match the file name"),
        ('name = "bad"\nvendor = "nobody"\nissuer = "https://a.example/fhir"\n', "vendor"),
        ('name = "bad"\nvendor = "epic"\nissuer = "http://a.example/fhir"\n', "https"),
        ('name = "bad"\nvendor = "epic"\n', "exactly one of"),
        (
            'name = "bad"\nvendor = "epic"\nissuer = "https://a.example/fhir"\nclient_auth = "magic"\n',
            "client_auth",
        ),
        (
            'name = "bad"\nvendor = "epic"\nissuer = "https://a.example/fhir"\ncolour = "red"\n',
            "unknown field",
        ),
        ('name = "bad"\nvendor = "epic"\nissuer_pattern = "(unclosed"\n', "regular expression"),
        ("name = = broken", "TOML"),
    ],
)
def test_an_invalid_config_names_the_file_and_the_problem(config_dir, body, complaint):
    _write(config_dir, "bad", body)
    configs.all_configs.cache_clear()
    with pytest.raises(ConfigInvalid, match="bad.toml") as raised:
        configs.all_configs()
    assert complaint in str(raised.value)


def test_an_invalid_config_stops_start_up(tmp_path):
    _write(tmp_path, "bad", 'name = "bad"\nvendor = "nobody"\n')
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LAUNCH_CONFIGS_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "launch config bad.toml" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Fhir.Example.org:443/R4/", "https://fhir.example.org/R4"),
        ("https://fhir.example.org:8443/R4", "https://fhir.example.org:8443/R4"),
        ("http://127.0.0.1:8000/sandbox/fhir/", "http://127.0.0.1:8000/sandbox/fhir"),
        ("http://fhir.example.org/R4", None),  # no tokens over plain HTTP off loopback
        ("https://user:pw@fhir.example.org/R4", None),
        ("https://fhir.example.org/R4?x=1", None),
        ("https://fhir.example.org/R4#f", None),
        ("ftp://fhir.example.org/R4", None),
        ("https://fhir.example.org:99999/R4", None),
        ("https:///R4", None),
    ],
)
def test_canonical_issuer(url, expected):
    assert canonical_issuer(url) == expected


def test_issuers_match_exactly_never_by_prefix(config_dir, monkeypatch):
    _write(
        config_dir,
        "ehr",
        'name = "ehr"\nvendor = "epic"\nclient_id = "c"\nissuer = "https://fhir.example.org/R4"\n',
    )
    _write(
        config_dir,
        "tenant",
        'name = "tenant"\nvendor = "oracle"\nclient_id = "c"\n'
        'issuer_pattern = "https://ehr\\\\.example\\\\.org/r4/[0-9a-f]{8}"\n',
    )
    configs.all_configs.cache_clear()
    assert configs.for_issuer("https://fhir.example.org/R4/").name == "ehr"
    assert configs.for_issuer("https://fhir.example.org/R4/../admin") is None
    assert configs.for_issuer("https://fhir.example.org/R4x") is None
    assert configs.for_issuer("https://fhir.example.org.evil.test/R4") is None
    assert configs.for_issuer("https://ehr.example.org/r4/0123abcd").name == "tenant"
    assert configs.for_issuer("https://ehr.example.org/r4/0123abcd/extra") is None


_EHR = 'name = "ehr"\nvendor = "epic"\nissuer = "https://fhir.example.org/R4"\nclient_id = "launch-id"\n'
_BACKEND_SCOPE = '[scopes]\nbackend = "system/ServiceRequest.rs system/Task.rs"\n'


def test_the_sandbox_registration_has_a_backend_services_client():
    backend = configs.by_name("sandbox").as_backend()

    assert (backend.client_id, backend.client_auth) == ("smartapp-backend", "private_key_jwt")
    assert backend.scope_for("backend").startswith("system/")


def test_a_backend_client_id_from_the_environment(config_dir, monkeypatch):
    _write(config_dir, "ehr", _EHR + _BACKEND_SCOPE + '[backend]\nclient_id_env = "TEST_EHR_BACKEND_ID"\n')
    assert configs.by_name("ehr").as_backend() is None

    monkeypatch.setenv("TEST_EHR_BACKEND_ID", "backend-id")
    configs.all_configs.cache_clear()
    config = configs.by_name("ehr")
    assert config.client_id == "launch-id" and config.client_auth == "public"
    assert config.as_backend().client_id == "backend-id"


def test_a_backend_client_needs_the_registration_enabled(config_dir):
    body = _EHR.replace('client_id = "launch-id"', 'client_id_env = "TEST_UNSET_ID"')
    _write(config_dir, "ehr", body + _BACKEND_SCOPE + '[backend]\nclient_id = "backend-id"\n')

    assert [c.as_backend() for c in configs.all_configs()] == [None]


@pytest.mark.parametrize(
    ("backend", "complaint"),
    [
        ('[backend]\nclient_id = "b"\nsecret = "x"\n', "may only name"),
        ('[backend]\nclient_id = "b"\nclient_id_env = "B"\n', "exactly one of"),
        ("[backend]\n", "exactly one of"),
        ('[backend]\nclient_id = "b"\nclient_auth = "client_secret_basic"\n', "private_key_jwt"),
        ('backend = "b"\n', "may only name"),
    ],
)
def test_an_invalid_backend_table_stops_start_up(config_dir, backend, complaint):
    _write(config_dir, "ehr", _EHR + backend + _BACKEND_SCOPE)
    configs.all_configs.cache_clear()
    with pytest.raises(ConfigInvalid, match="ehr.toml") as raised:
        configs.all_configs()
    assert complaint in str(raised.value)


@pytest.mark.parametrize("scopes", ["", '[scopes]\nbackend = "user/Task.rs"\n'])
def test_a_backend_client_needs_system_scopes(config_dir, scopes):
    _write(config_dir, "ehr", _EHR + scopes + '[backend]\nclient_id = "b"\n')
    configs.all_configs.cache_clear()
    with pytest.raises(ConfigInvalid, match="system/ scopes"):
        configs.all_configs()


_IFRAME = 'name = "bad"\nvendor = "epic"\n'


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (_IFRAME + 'issuer = "https://a.example/fhir"\nembedding = "popup"\n', "`embedding`"),
        (
            _IFRAME + 'issuer_pattern = "https://a\\\\.example/.*"\nembedding = "iframe"\n',
            "needs `embedding_origins`",
        ),
        (
            _IFRAME + 'issuer = "https://a.example/fhir"\nembedding = "iframe"\n'
            'embedding_origins = ["https://ehr.example/app"]\n',
            "`embedding_origins`",
        ),
        (
            _IFRAME + 'issuer = "https://a.example/fhir"\nembedding = "iframe"\n'
            'embedding_origins = ["http://ehr.example"]\n',
            "`embedding_origins`",
        ),
    ],
)
def test_an_invalid_embedding_stops_start_up(config_dir, body, complaint):
    _write(config_dir, "bad", body)
    configs.all_configs.cache_clear()
    with pytest.raises(ConfigInvalid, match="bad.toml") as raised:
        configs.all_configs()
    assert complaint in str(raised.value)


def test_an_iframe_registration_is_framed_by_its_issuer_origin_unless_told_otherwise(config_dir):
    _write(
        config_dir,
        "ehr",
        'name = "ehr"\nvendor = "epic"\nissuer = "https://fhir.ehr.example:8443/R4"\nclient_id = "x"\n'
        'embedding = "iframe"\n',
    )
    _write(
        config_dir,
        "other",
        'name = "other"\nvendor = "epic"\nissuer = "https://fhir.other.example/R4"\nclient_id = "y"\n'
        'embedding = "window"\n',
    )
    configs.all_configs.cache_clear()
    assert configs.embedding_origins() == {"https://fhir.ehr.example:8443"}


def test_a_disabled_iframe_registration_frames_nothing(config_dir):
    _write(
        config_dir,
        "ehr",
        'name = "ehr"\nvendor = "epic"\nissuer = "https://fhir.ehr.example/R4"\nclient_id_env = "UNSET_ID"\n'
        'embedding = "iframe"\nembedding_origins = ["https://portal.ehr.example"]\n',
    )
    configs.all_configs.cache_clear()
    assert configs.embedding_origins() == frozenset()
