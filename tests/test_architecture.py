"""The import rules of STYLE.md: the sandbox is an outside system, reached only over HTTP."""

import ast
from pathlib import Path

SMARTAPP = Path(__file__).resolve().parents[1] / "smartapp"
APP_MODULES = ("core", "ehr", "launch", "chart", "referrals", "audit", "adt")
WIRING = {"settings.py", "urls.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules_under(folder: Path):
    return [p for p in folder.rglob("*.py") if "migrations" not in p.parts]


def test_the_sandbox_imports_no_app_module():
    offending = {
        str(path.relative_to(SMARTAPP)): sorted(name for name in _imports(path) if name.startswith(
            tuple(f"smartapp.{m}" for m in APP_MODULES)))
        for path in _modules_under(SMARTAPP / "sandbox")
    }  # fmt: skip
    assert {k: v for k, v in offending.items() if v} == {}


def test_no_app_module_imports_the_sandbox():
    app_files = [
        p for p in _modules_under(SMARTAPP)
        if "sandbox" not in p.relative_to(SMARTAPP).parts and p.name not in WIRING
    ]  # fmt: skip
    offending = [str(p.relative_to(SMARTAPP)) for p in app_files if any(
        name.startswith("smartapp.sandbox") for name in _imports(p))]  # fmt: skip
    assert app_files, "the scan found no app modules"
    assert offending == []


def test_the_scan_sees_sandbox_imports():
    # Guards the two tests above against scanning nothing.
    assert "smartapp.sandbox.models" in _imports(SMARTAPP / "sandbox" / "faults.py")


# STYLE.md's table: what each app module never imports (besides the sandbox, checked above).
FORBIDDEN = {
    "core": ("ehr", "launch", "chart", "referrals", "audit", "adt"),
    "audit": ("ehr", "launch", "chart", "referrals", "adt"),
    "ehr": ("launch", "chart", "referrals", "audit", "adt"),
    "launch": ("chart", "referrals", "adt"),
    "chart": ("referrals", "adt"),
    "referrals": ("chart", "launch.views", "adt"),
    # The ADT feed (HL7 v2 over MLLP) turns messages into the referrals' discharge follow-ups.
    "adt": ("chart", "launch.views"),
}


def test_each_app_module_keeps_to_its_imports():
    offending = {}
    for module, forbidden in FORBIDDEN.items():
        prefixes = tuple(f"smartapp.{name}" for name in forbidden)
        for path in _modules_under(SMARTAPP / module):
            bad = sorted(n for n in _imports(path) if n == "smartapp." or n.startswith(prefixes))
            if bad:
                offending[str(path.relative_to(SMARTAPP))] = bad
    assert offending == {}


def test_the_import_table_scan_sees_imports():
    assert "smartapp.audit.services" in _imports(SMARTAPP / "launch" / "events.py")
