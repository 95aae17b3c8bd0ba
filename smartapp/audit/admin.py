"""Audit events in the admin: read-only for holders of the view permission; no add, change or delete."""

from django.contrib import admin

from smartapp.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "ts", "action", "outcome", "user_id", "fhir_user", "patient_ref", "ip")
    list_filter = ("action", "outcome")
    search_fields = ("=patient_ref", "=fhir_user", "=launch_id")
    ordering = ("-seq",)
    show_full_result_count = False  # no COUNT(*) over the whole trail on every page
    actions = None  # no "delete selected"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
