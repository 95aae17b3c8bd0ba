from django.db import models


class AppendOnly(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    """Reads, and single inserts (audit_record chains each): no update, delete or bulk write."""

    def update(self, **kwargs):
        raise AppendOnly("audit events cannot be changed")

    def delete(self):
        raise AppendOnly("audit events cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("audit events cannot be changed")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnly("audit events are appended one at a time, chained, by audit_record")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnly("audit events cannot be changed")


class AuditEvent(models.Model):
    """One audited action. Never updated or deleted; `mac` chains it to the event before it."""

    seq = models.BigAutoField(primary_key=True)
    ts = models.DateTimeField()
    action = models.CharField(max_length=64)  # launch.begin, token.exchange, fhir.read, ...
    outcome = models.CharField(max_length=32)  # success | denied | failed | error code
    user_id = models.BigIntegerField(null=True, blank=True)
    fhir_user = models.CharField(max_length=300, blank=True)
    issuer = models.CharField(max_length=300, blank=True)
    launch_id = models.CharField(max_length=64, blank=True)
    patient_ref = models.CharField(max_length=100, blank=True)  # a FHIR id, never a name
    resource_types = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # whitelisted fields only: ids, counts, reasons
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    key_id = models.PositiveSmallIntegerField(default=0)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["patient_ref", "seq"], name="audit_by_patient"),
            models.Index(fields=["user_id", "seq"], name="audit_by_user"),
        ]

    def __str__(self):
        return f"audit #{self.seq} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events cannot be deleted")
