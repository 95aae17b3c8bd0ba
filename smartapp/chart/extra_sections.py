"""Sections other modules add to the clinician's chart, chosen by name in settings.CHART_EXTRA_SECTIONS.

STYLE.md convention 8, like Django's session backends: the chart imports each provider by its dotted name
and calls `provider(connection=..., patient_id=..., today=...)`, so it never imports the module that
provides it (the chart never imports referrals: tests/test_architecture.py). A provider returns plain data
with at least:
    template: str                   the template that shows it (given the data as `data`)
    resource_types: tuple[str, ...]  the FHIR types of the records it shows, for the audit trail
    shown: int                      how many records it shows

A misconfigured entry fails loudly (ImproperlyConfigured). A provider that fails when called costs only
its own section: the failure is logged by exception type and section (never a message, which could hold
patient data) and the section says it is unavailable, as a failed EHR search does (never "none").
"""

import logging
from dataclasses import dataclass
from datetime import date
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.text import slugify

log = logging.getLogger(__name__)

REQUIRED_KEYS = ("provider", "title", "unavailable")


@dataclass(frozen=True)
class ExtraSection:
    key: str  # the <section>'s id
    title: str
    unavailable: str  # said in place of the data when the provider failed
    data: object | None  # what the provider returned; None when it failed

    @property
    def failed(self) -> bool:
        return self.data is None


@dataclass(frozen=True)
class _Entry:
    key: str
    title: str
    unavailable: str
    provider: object


def extra_sections(*, connection: str, patient_id: str, today: date) -> list[ExtraSection]:
    """Every configured section for this connection's patient, in the configured order."""
    return [_one(entry, connection=connection, patient_id=patient_id, today=today) for entry in _entries()]


def _one(entry: _Entry, *, connection: str, patient_id: str, today: date) -> ExtraSection:
    try:
        # A savepoint: a failed query must not leave the request's transaction unusable (PostgreSQL).
        with transaction.atomic():
            data = entry.provider(connection=connection, patient_id=patient_id, today=today)
        _check(data)
    except Exception as error:  # any failure of another module's section stays in that section
        # The type only: an exception's message may quote a record (a name, an identifier).
        log.warning("chart section %s unavailable: %s", entry.key, type(error).__name__)
        data = None
    return ExtraSection(entry.key, entry.title, entry.unavailable, data)


def _check(data) -> None:
    """The contract above, checked before anything is shown or audited."""
    valid = (
        isinstance(getattr(data, "template", None), str)
        and isinstance(getattr(data, "resource_types", None), tuple)
        and isinstance(getattr(data, "shown", None), int)
    )
    if not valid:
        raise TypeError("a chart section provider returned data without template, resource_types or shown")


def _entries() -> tuple[_Entry, ...]:
    configured = getattr(settings, "CHART_EXTRA_SECTIONS", [])
    if not all(isinstance(item, dict) for item in configured):
        raise ImproperlyConfigured("CHART_EXTRA_SECTIONS: each entry is a dict")
    # Cached by the setting's value, so that a test's override_settings is seen.
    return _entries_of(tuple(tuple(sorted(item.items())) for item in configured))


@cache
def _entries_of(configured: tuple) -> tuple[_Entry, ...]:
    return tuple(_entry(dict(item)) for item in configured)


def _entry(values: dict) -> _Entry:
    missing = [key for key in REQUIRED_KEYS if not values.get(key)]
    if missing:
        raise ImproperlyConfigured(f"CHART_EXTRA_SECTIONS: an entry lacks {', '.join(missing)}")
    try:
        provider = import_string(values["provider"])
    except ImportError as error:
        raise ImproperlyConfigured(f"CHART_EXTRA_SECTIONS: cannot import {values['provider']}") from error
    return _Entry(slugify(values["title"]), values["title"], values["unavailable"], provider)
