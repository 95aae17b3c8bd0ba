import uuid

from django.conf import settings
from django.db import models


class Identity(models.Model):
    """An app user as the EHR knows them: unique per (issuer, OpenID `sub`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ehr_identities"
    )
    issuer = models.CharField(max_length=300)
    sub = models.CharField(max_length=255)
    fhir_user = models.CharField(max_length=300, blank=True)  # "Practitioner/123", relative to the issuer
    # "Dr Jane Smith", for "Signed in as" and outreach authors; "" while the EHR has not named them
    # (launch/display_names.py). Shown on pages, never logged or audited.
    display_name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="launch_identity_issuer_sub")]

    def __str__(self):
        return f"identity {self.pk}"


class PendingAuthorization(models.Model):
    """An authorization request on its way to the EHR: found by the hash of `state`, used once.

    Holds everything the callback needs so that nothing comes back from the browser but `code` and `state`
    (mix-up defense, RFC 9700 §4.4: the token endpoint is the one stored here, never one from the request).
    """

    state_hash = models.CharField(max_length=64, unique=True)
    session_key = models.CharField(max_length=64)  # the browser session that started it
    config_name = models.CharField(max_length=64)
    persona = models.CharField(max_length=16)  # clinician | patient | coordinator
    issuer = models.CharField(max_length=300)
    # RFC 9207: the authorization server's issuer as advertised at begin (else the FHIR base), and whether
    # it promised to name itself in its answer; the callback's `iss` is compared with it, byte for byte
    authorization_issuer = models.CharField(max_length=300, blank=True)
    iss_in_response = models.BooleanField(default=False)
    token_endpoint = models.URLField(max_length=500)
    revocation_endpoint = models.URLField(max_length=500, blank=True)
    redirect_uri = models.URLField(max_length=500)
    code_verifier = models.TextField()  # encrypted
    nonce = models.CharField(max_length=64)
    scope = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    encrypted_fields = ("code_verifier",)  # rotated by `manage.py reencrypt_secrets`

    def __str__(self):
        return f"pending authorization {self.pk}"


class Launch(models.Model):
    """A completed SMART launch and its context. Its id is in URLs: two tabs, two launches, no mixing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="launches")
    config_name = models.CharField(max_length=64)
    issuer = models.CharField(max_length=300)
    persona = models.CharField(max_length=16)  # clinician | patient | coordinator
    fhir_user = models.CharField(max_length=300, blank=True)
    display_name = models.CharField(max_length=200, blank=True, default="")  # the Identity's, at this launch
    patient_id = models.CharField(max_length=64, blank=True)
    encounter_id = models.CharField(max_length=64, blank=True)
    scope = models.TextField(blank=True)  # as granted
    need_patient_banner = models.BooleanField(default=True)
    smart_style_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"launch {self.pk}"


class Grant(models.Model):
    """The tokens of a launch, encrypted at rest and bound to this row. Never in a cookie, URL or log."""

    launch = models.OneToOneField(Launch, on_delete=models.CASCADE, related_name="grant")
    access_token = models.TextField()  # encrypted
    refresh_token = models.TextField(blank=True)  # encrypted
    expires_at = models.DateTimeField()
    token_endpoint = models.URLField(max_length=500)
    revocation_endpoint = models.URLField(max_length=500, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # Single-flight refresh: the worker that set this (by a conditional UPDATE) refreshes; others wait.
    refresh_claimed_until = models.DateTimeField(null=True, blank=True)
    relaunch_needed = models.BooleanField(default=False)

    encrypted_fields = ("access_token", "refresh_token")  # rotated by `manage.py reencrypt_secrets`

    def __str__(self):
        return f"grant of {self.launch_id}"
