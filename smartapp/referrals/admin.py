"""The sync state of each EHR connection in the admin: who syncs it, when it last finished, and whether
the EHR refused its credentials (with an action that clears the refusal once they are fixed)."""

from django.contrib import admin, messages
from django.utils import timezone

from .credential_backoff import credentials_refusal_clear
from .models import SyncClaim


@admin.register(SyncClaim)
class SyncClaimAdmin(admin.ModelAdmin):
    list_display = ("connection", "finished_at", "claimed_until", "credentials")
    readonly_fields = ("connection", "holder", "claimed_until", "finished_at", "credentials")
    fields = readonly_fields
    actions = ["clear_refusal"]

    @admin.display(description="Sync credentials")
    def credentials(self, claim: SyncClaim) -> str:
        if claim.credentials_refused_at is None:
            return "accepted"
        since = timezone.localtime(claim.credentials_refused_at)
        return f"Sync credentials refused since {since:%d %b %Y %H:%M %Z}"

    @admin.action(description="Credentials fixed: sync again at the next run")
    def clear_refusal(self, request, queryset):
        cleared = sum(credentials_refusal_clear(connection=claim.connection) for claim in queryset)
        self.message_user(request, f"{cleared} refusal(s) cleared.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
