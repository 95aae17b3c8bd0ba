from django.contrib import admin
from django.db import models
from oauth2_provider.admin import get_application_admin_class
from oauth2_provider.models import get_application_model

from smartapp.sandbox.models import ClientProfile, LaunchContext, SandboxIdentity

Application = get_application_model()


class ClientProfileInline(admin.StackedInline):
    model = ClientProfile
    can_delete = False
    verbose_name_plural = "SMART profile"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# django-oauth-toolkit registers its own Application admin first (it is earlier in INSTALLED_APPS).
if admin.site.is_registered(Application):
    admin.site.unregister(Application)


@admin.register(Application)
class SmartApplicationAdmin(get_application_admin_class()):
    inlines = [ClientProfileInline]


@admin.register(SandboxIdentity)
class SandboxIdentityAdmin(admin.ModelAdmin):
    list_display = ["fhir_user", "role", "user"]
    list_filter = ["role"]
    search_fields = ["fhir_user", "user__username"]


@admin.register(LaunchContext)
class LaunchContextAdmin(admin.ModelAdmin):
    """Launches are made by the launch simulator; the admin only shows them."""

    list_display = ["pk", "user", "patient_id", "encounter_id", "created_at", "used_at"]
    readonly_fields = [field.name for field in LaunchContext._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
