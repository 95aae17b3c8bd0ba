"""Admin additions, changes and deletions as audit events ("admin.change"; docs/security.md "Admin accounts").

The admin writes a LogEntry for each object it touches (ModelAdmin.log_addition/log_change/log_deletions,
all through LogEntryManager.log_actions). One object is saved, so post_save fires; several at once (the
"delete selected" action) go through bulk_create, which sends no signal. Hooking both writes of LogEntry
rows, rather than log_actions, audits any path that records an admin action. The event names the model
and the object id only: object_repr and change_message may hold field values (PHI).
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry, LogEntryManager
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from smartapp.audit.services import audit_record

OUTCOMES = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def admin_change_record(entry: LogEntry) -> None:
    content_type = ContentType.objects.get_for_id(entry.content_type_id) if entry.content_type_id else None
    model = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    audit_record(
        action="admin.change",
        outcome=OUTCOMES.get(entry.action_flag, "unknown"),
        user_id=entry.user_id,
        detail={"model": model, "object_id": str(entry.object_id or "")},
    )


def log_entry_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:  # raw: loaddata restoring rows, not an admin action
        admin_change_record(instance)


def _audited_bulk_create(self, objs, *args, **kwargs):
    with transaction.atomic(using=self.db):
        created = _bulk_create(self, objs, *args, **kwargs)
        for entry in created:
            admin_change_record(entry)
    return created


_bulk_create = LogEntryManager.bulk_create


def admin_changes_connect() -> None:
    """Called once from AuditConfig.ready()."""
    from django.db.models.signals import post_save

    post_save.connect(log_entry_saved, sender=LogEntry, dispatch_uid="smartapp.audit.admin_changes")
    # A class attribute, not a manager subclass: LogEntry's manager is in django.contrib.admin's
    # migrations, and a different class there would ask for a migration of Django's own app.
    LogEntryManager.bulk_create = _audited_bulk_create
