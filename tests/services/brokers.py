"""The brokers the worker tests run against: the configured Redis and a filesystem broker of their own."""

from pathlib import Path


def filesystem_broker(folder: Path) -> tuple[str, dict, dict]:
    """(broker URL, transport options, extra worker env) of a filesystem broker living in `folder`."""
    folders = {name: folder / name for name in ("queue", "processed", "control")}
    for path in folders.values():
        path.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
    }
    return "filesystem://", options, {"CELERY_BROKER_DIR": str(folder)}
