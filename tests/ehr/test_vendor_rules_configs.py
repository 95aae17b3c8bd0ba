"""The shipped launch_configs/ fit their vendor's rule table: grammar, Backend Services, the export Group,
and scopes for every type the chart and the sync read there."""

import tomllib
from pathlib import Path

import pytest

from smartapp.chart.sections import chart_queries
from smartapp.ehr import configs
from smartapp.ehr.configs import ConfigInvalid
from smartapp.ehr.profiles import profile_for
from smartapp.ehr.scopes import can_read
from smartapp.referrals.sync import SYNC_TYPES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "launch_configs").glob("*.toml"))


def shipped():
    return [pytest.param(path, id=path.stem) for path in SHIPPED]


def _config(path: Path):
    return next(c for c in configs.all_configs() if c.source == path.name)


def _raw(path: Path) -> dict:
    return tomllib.loads(path.read_text())


@pytest.mark.parametrize("path", shipped())
def test_the_scope_grammar_is_the_vendors(path):
    config = _config(path)
    assert config.scope_grammar == profile_for(config).rules.scope_grammar


@pytest.mark.parametrize("path", shipped())
def test_a_backend_client_is_registered_only_where_the_vendor_offers_backend_services(path):
    config, raw = _config(path), _raw(path)
    rules = profile_for(config).rules
    if "backend" in raw or "backend" in raw.get("scopes", {}):
        assert rules.client_credentials
    if rules.population == "bulk_export":  # a Bulk Data export is a Backend Services client's
        assert "backend" in raw


@pytest.mark.parametrize("path", shipped())
def test_a_bulk_export_vendor_names_the_group_to_export(path):
    config, raw = _config(path), _raw(path)
    if profile_for(config).rules.population == "bulk_export":
        assert raw.get("group_id") or raw.get("group_id_env")


@pytest.mark.parametrize("path", shipped())
def test_the_clinician_and_patient_may_read_every_chart_section_the_vendor_serves(path):
    config = _config(path)
    rules = profile_for(config).rules
    wanted = {q.resource_type for q in chart_queries("p", rules=rules) if q.searchable} | {"Patient"}
    for persona in ("clinician", "patient"):
        scope = config.scope_for(persona)
        assert [t for t in sorted(wanted) if not can_read(scope, t)] == [], persona


@pytest.mark.parametrize("path", shipped())
def test_the_sync_may_read_every_type_it_syncs_from_the_vendor(path):
    config = _config(path)
    rules = profile_for(config).rules
    wanted = [t for t in SYNC_TYPES if t in rules.search]
    personas = ["backend"] if config.scope_for("backend") else []
    personas += ["coordinator"] if config.scope_for("coordinator") else []
    for persona in personas:
        scope = config.scope_for(persona)
        assert [t for t in wanted if not can_read(scope, t)] == [], persona
    if not rules.client_credentials and rules.population != "system_search":
        assert "offline_access" in config.scope_for("coordinator").split()


@pytest.fixture
def config_dir(tmp_path, settings):
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    configs.all_configs.cache_clear()
    yield tmp_path
    configs.all_configs.cache_clear()


BASE = 'name = "ehr"\nvendor = "epic"\nissuer = "https://fhir.example.org/R4"\nclient_id = "x"\n'


def test_the_group_id_may_come_from_the_environment(config_dir, monkeypatch):
    (config_dir / "ehr.toml").write_text(BASE + 'group_id_env = "TEST_GROUP_ID"\n')
    monkeypatch.setenv("TEST_GROUP_ID", "grp-1")

    assert configs.by_name("ehr").group_id == "grp-1"


@pytest.mark.parametrize(
    "extra",
    ['group_id = "a"\ngroup_id_env = "TEST_GROUP_ID"\n', 'group_id_env = "TEST_BAD_GROUP"\n'],
)
def test_a_group_id_given_twice_or_not_an_id_stops_start_up(config_dir, monkeypatch, extra):
    monkeypatch.setenv("TEST_BAD_GROUP", "a/b")
    (config_dir / "ehr.toml").write_text(BASE + extra)

    with pytest.raises(ConfigInvalid, match="group_id"):
        configs.all_configs()


def test_a_registration_may_choose_its_population_strategy_among_the_three(config_dir):
    (config_dir / "ehr.toml").write_text(BASE + 'population = "per_patient"\n')
    assert configs.by_name("ehr").population == "per_patient"

    (config_dir / "ehr.toml").write_text(BASE + 'population = "everything"\n')
    configs.all_configs.cache_clear()
    with pytest.raises(ConfigInvalid, match="population"):
        configs.all_configs()
