"""Moving stored secrets to the newest encryption key (the second half of a key rotation).

A model lists its encrypted columns in `encrypted_fields`; every such column is found through the app
registry, so core needs to know no model. Rows are read in primary-key batches and written back with a
conditional UPDATE (only if the ciphertext is still the one read): a token refreshed meanwhile is never
overwritten with an older one. Running it again changes nothing.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from smartapp.core import crypto


@dataclass
class ColumnReport:
    column: str
    reencrypted: int = 0
    current: int = 0  # already under the newest key
    changed: int = 0  # rewritten by someone else between read and write (already under the newest key)
    unreadable: int = 0  # no configured key decrypts it


def encrypted_columns() -> list[tuple[type, str]]:
    """(model, field name) for every column a model declares in `encrypted_fields`."""
    return [(model, field) for model in apps.get_models() for field in getattr(model, "encrypted_fields", ())]


def column_reencrypt(model, field: str, *, batch_size: int = 500) -> ColumnReport:
    """Re-encrypt every non-empty value of `model.field` under the newest key; counts, never values."""
    report = ColumnReport(column=f"{model._meta.label}.{field}")
    rows = model._default_manager.exclude(**{field: ""}).order_by("pk")
    last_pk = None
    while batch := list(
        (rows if last_pk is None else rows.filter(pk__gt=last_pk)).values_list("pk", field)[:batch_size]
    ):
        with transaction.atomic():
            for pk, ciphertext in batch:
                _reencrypt_one(model, field, pk, ciphertext, report)
        last_pk = batch[-1][0]
    return report


def _reencrypt_one(model, field: str, pk, ciphertext: str, report: ColumnReport) -> None:
    if crypto.is_current(ciphertext):
        report.current += 1
        return
    try:
        fresh = crypto.rotate(ciphertext)
    except crypto.DecryptionFailed:
        report.unreadable += 1
        return
    if model._default_manager.filter(pk=pk, **{field: ciphertext}).update(**{field: fresh}):
        report.reencrypted += 1
    else:
        report.changed += 1
