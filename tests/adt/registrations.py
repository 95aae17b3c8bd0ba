"""The shipped sandbox registration with one more `[adt]` setting, for a test (its own LAUNCH_CONFIGS_DIR)."""

from pathlib import Path

SANDBOX_TOML = Path(__file__).resolve().parents[2] / "launch_configs" / "sandbox.toml"


def sandbox_adt_with(folder: Path, settings, name: str, value: str) -> None:
    """Write sandbox.toml into `folder` with `name = "value"` in its `[adt]` table, and load the
    registrations from there (changing the setting clears configs' cache)."""
    text = SANDBOX_TOML.read_text().replace("[adt]\n", f'[adt]\n{name} = "{value}"\n', 1)
    (folder / "sandbox.toml").write_text(text)
    settings.LAUNCH_CONFIGS_DIR = str(folder)
