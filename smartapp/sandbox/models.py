from django.conf import settings
from django.db import models


class Resource(models.Model):
    """One FHIR R4 resource, as JSON, with the columns its searches need."""

    resource_type = models.CharField(max_length=64)
    fhir_id = models.CharField(max_length=64)
    version_id = models.PositiveIntegerField(default=1)
    last_updated = models.DateTimeField()
    # The Patient compartment the resource belongs to ("" for Practitioner, Medication, ...).
    patient_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=64, blank=True)
    # Token columns hold " code system|code " groups, space-delimited, so that one LIKE finds a token.
    category = models.TextField(blank=True)
    type = models.TextField(blank=True)
    date = models.DateTimeField(null=True, blank=True)
    # " Patient/1 ServiceRequest/2 " style reference lists.
    based_on = models.TextField(blank=True)
    # " value system|value " per Identifier, for the `identifier` token search (store.identifier_tokens).
    identifier = models.TextField(blank=True)
    body = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource_type", "fhir_id"], name="sandbox_resource_unique_id"),
        ]
        indexes = [
            models.Index(fields=["resource_type", "patient_id", "id"], name="sandbox_res_patient"),
            models.Index(fields=["resource_type", "last_updated"], name="sandbox_res_updated"),
        ]

    def __str__(self):
        return f"{self.resource_type}/{self.fhir_id}"


class SandboxIdentity(models.Model):
    """A sandbox user (a Django user) and the FHIR resource that user is."""

    class Role(models.TextChoices):
        PRACTITIONER = "practitioner"
        PATIENT = "patient"
        COORDINATOR = "coordinator"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox")
    fhir_user = models.CharField(max_length=128, unique=True)  # "Practitioner/pr-1"
    role = models.CharField(max_length=16, choices=Role.choices)

    def __str__(self):
        return self.fhir_user


class LaunchContext(models.Model):
    """An EHR launch: the opaque `launch` value bound to a user, patient and encounter; used once."""

    launch = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    patient_id = models.CharField(max_length=64, blank=True)
    encounter_id = models.CharField(max_length=64, blank=True)
    app_url = models.URLField(max_length=500)
    need_patient_banner = models.BooleanField(default=True)
    smart_style_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"launch {self.pk}"


class ClientProfile(models.Model):
    """What the sandbox knows of a registered client beyond django-oauth-toolkit's Application."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="smart"
    )
    # The client's public keys (a JWKS document) for private_key_jwt and Backend Services.
    jwks = models.JSONField(default=dict, blank=True)
    # Scopes the client may be granted, space-separated SMART scopes; empty means any valid scope.
    allowed_scopes = models.TextField(blank=True)
    launch_url = models.URLField(max_length=500, blank=True)
    # The vendor emulation (smartapp/sandbox/vendors/) this client is registered under: it may authorize
    # only at that vendor's endpoints. "" = the plain sandbox.
    vendor = models.CharField(max_length=16, blank=True)

    def __str__(self):
        return f"profile of {self.application_id}"


class TokenContext(models.Model):
    """The SMART context an access token was issued with: the patient it may read and who it is for."""

    access_token = models.OneToOneField(
        settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="smart"
    )
    patient_id = models.CharField(max_length=64, blank=True)
    encounter_id = models.CharField(max_length=64, blank=True)
    fhir_user = models.CharField(max_length=128, blank=True)
    # The vendor emulation and tenant the token was issued by: it reads only that FHIR base. "" = plain.
    vendor = models.CharField(max_length=16, blank=True)
    tenant = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"context of {self.access_token_id}"


class UsedAssertion(models.Model):
    """jti values of client assertions already seen, so that a replayed assertion is refused."""

    client_id = models.CharField(max_length=255)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "jti"], name="sandbox_jti_once")]

    def __str__(self):
        return f"assertion of {self.client_id}"


class Fault(models.Model):
    """A fault switched on for every client or for one client; see smartapp.sandbox.faults."""

    kind = models.CharField(max_length=64)
    value = models.CharField(max_length=255, blank=True)
    client_id = models.CharField(max_length=255, blank=True)  # "" = every client
    remaining = models.PositiveIntegerField(null=True, blank=True)  # None = until switched off
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.kind}={self.value}"


class ExportJob(models.Model):
    """A FHIR Bulk Data `$export` job (https://hl7.org/fhir/uv/bulkdata/export.html), run by the sandbox."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in-progress"
        COMPLETE = "complete"
        FAILED = "failed"
        DELETED = "deleted"

    job_id = models.CharField(max_length=64, unique=True)  # opaque, in the status URL
    client_id = models.CharField(max_length=255)
    vendor = models.CharField(max_length=16, blank=True)
    tenant = models.CharField(max_length=64, blank=True)
    group_id = models.CharField(max_length=64, blank=True)  # "" = a system-level export
    params = models.JSONField(default=dict)  # _type, _since, _typeFilter as asked
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    transaction_time = models.DateTimeField()
    ready_at = models.DateTimeField()  # polls before this answer 202 with Retry-After
    output = models.JSONField(default=list)  # the manifest's `output` entries once complete
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["client_id", "status"], name="sandbox_export_client")]

    def __str__(self):
        return f"export {self.job_id}"
