from django.conf import settings
from django.db import models

from . import facts
from .state import PENDING, WORKLIST_RANK

REF = 140  # "Type/id": a resource type and a FHIR id of at most 64 characters

# Why an item left the care team's open list. BEFORE_TRACKING is set by the tracking horizon (horizon.py)
# on items whose clinical date is older than the connection's lookback; the others by a person.
BEFORE_TRACKING = "before_tracking"
CLOSE_REASONS = [
    ("reached", "Reached, follow-up arranged"),
    ("declined", "Patient declined"),
    ("care_elsewhere", "Care elsewhere"),
    ("deceased", "Deceased"),
    ("duplicate", "Duplicate"),
    ("other", "Other"),
    (BEFORE_TRACKING, "Before tracking began"),
]


class Referral(models.Model):
    """A follow-up expectation synced from one EHR connection: a referral (ServiceRequest) or a discharge
    (a finished inpatient or emergency Encounter). Unique per (connection, fhir_ref); the state columns
    are denormalised from the evidence so that worklists need no join."""

    KINDS = [(facts.REFERRAL, "Referral"), (facts.DISCHARGE, "Discharge")]

    connection = models.CharField(max_length=64)  # the EHR registration name (LaunchConfig.name)
    # "ServiceRequest/<id>" or "Encounter/<id>"; for a discharge known only from the ADT feed (smartapp/adt/)
    # "adt-visit/<PV1-19>", until the FHIR sync brings its Encounter (merged by visit_number)
    fhir_ref = models.CharField(max_length=REF)
    visit_number = models.CharField(max_length=64, blank=True)  # a discharge's visit number (PV1-19)
    kind = models.CharField(max_length=16, choices=KINDS, default=facts.REFERRAL)
    patient_ref = models.CharField(max_length=REF, blank=True)
    patient_display = models.CharField(max_length=200, blank=True)
    # From the Patient the sync includes: what a coordinator needs to find the patient in the EHR and call.
    patient_mrn = models.CharField(max_length=64, blank=True)  # the identifier typed MR (v2-0203)
    patient_birth_date = models.DateField(null=True, blank=True)
    patient_phone = models.CharField(max_length=64, blank=True)
    # The moment the four facts above describe: a FHIR read's time, or the newest MSH-7 of the ADT visit
    # that wrote them. An ADT message never writes over facts stamped later (adt/visits.py).
    patient_facts_at = models.DateTimeField(null=True, blank=True)
    requester_ref = models.CharField(max_length=REF, blank=True)
    requester_display = models.CharField(max_length=200, blank=True)
    performer_ref = models.CharField(max_length=REF, blank=True)
    performer_display = models.CharField(max_length=200, blank=True)
    specialty_code = models.CharField(max_length=64, blank=True)
    specialty_display = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    authored_on = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    request_status = models.CharField(max_length=64, blank=True)
    version_id = models.CharField(max_length=64, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, default=PENDING)
    # WORKLIST_RANK[state], kept with the state: the worklist's first sort key, so that an index can
    # give a page of open items in order without sorting them all (bench.worklist).
    state_rank = models.PositiveSmallIntegerField(default=WORKLIST_RANK[PENDING])
    state_evidence = models.CharField(max_length=255, blank=True)
    state_inferred = models.BooleanField(default=False)
    last_evidence_at = models.DateTimeField(null=True, blank=True)
    follow_up_rule = models.CharField(max_length=64, blank=True)  # the rule that set due_date (docs/)
    # The care team's work on the item (actions.py); none of it comes from the EHR.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_referrals",
    )
    next_action_on = models.DateField(null=True, blank=True)
    snoozed_until = models.DateField(null=True, blank=True)  # hidden from the open list until this day
    closed_reason = models.CharField(max_length=32, blank=True, choices=CLOSE_REASONS)  # "" while open
    closed_note = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)  # a person reopened it: the horizon keeps off
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "fhir_ref"], name="referrals_referral_natural_key")
        ]
        indexes = [
            models.Index(fields=["state", "due_date"], name="referrals_state_due"),
            models.Index(fields=["closed_reason", "state", "due_date"], name="referrals_open_state_due"),
            models.Index(
                fields=["closed_reason", "state_rank", "due_date", "id"], name="referrals_open_rank_due"
            ),
            models.Index(fields=["owner", "closed_reason"], name="referrals_owner_open"),
            models.Index(fields=["connection", "patient_ref"], name="referrals_connection_patient"),
            models.Index(fields=["connection", "visit_number"], name="referrals_visit_number"),
            models.Index(fields=["specialty_code"], name="referrals_specialty"),
            models.Index(fields=["performer_ref"], name="referrals_performer"),
            # Naming the people of a page's rows (store_names.py) without reading the connection's rows.
            models.Index(
                fields=["connection", "requester_ref", "requester_display"], name="referrals_requester_name"
            ),
            models.Index(
                fields=["connection", "performer_ref", "performer_display"], name="referrals_performer_name"
            ),
        ]

    def __str__(self):
        return f"referral {self.pk}"

    def save(self, *args, **kwargs):
        self.state_rank = rank_of(self.state)
        if kwargs.get("update_fields") is not None and "state" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "state_rank"}
        super().save(*args, **kwargs)

    @property
    def from_adt_feed(self) -> bool:
        return facts.from_adt_feed(self.fhir_ref)


def rank_of(state: str) -> int:
    """The worklist rank of a state (unknown states last): what Referral.state_rank holds."""
    return WORKLIST_RANK.get(state, len(WORKLIST_RANK))


class Evidence(models.Model):
    """A Task, Appointment, Encounter or consult note, one row per expectation it is tied to.

    `target_ref` is the expectation's fhir_ref; `referral` is null while that expectation has not been
    synced yet (evidence may arrive first). A resource without references of its own also keeps a row
    with target_ref "" so that expectations arriving later can still be matched to it (inferred links).
    """

    KINDS = [(k, k) for k in facts.EVIDENCE_KINDS]
    LINKS = [(link, link) for link in (*facts.OWN_LINKS, *facts.DERIVED_LINKS)]

    connection = models.CharField(max_length=64)
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    target_ref = models.CharField(max_length=REF, blank=True)
    kind = models.CharField(max_length=16, choices=KINDS)
    fhir_ref = models.CharField(max_length=REF)  # "Task/<id>"; "adt-visit/<PV1-19>" from the ADT feed
    visit_number = models.CharField(max_length=64, blank=True)  # an encounter's visit number (PV1-19)
    link = models.CharField(max_length=16, choices=LINKS, blank=True)
    status = models.CharField(max_length=64, blank=True)
    business_status = models.CharField(max_length=200, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    performer_ref = models.CharField(max_length=REF, blank=True)
    performer_display = models.CharField(max_length=200, blank=True)
    specialty_code = models.CharField(max_length=64, blank=True)
    specialty_text = models.CharField(max_length=200, blank=True)
    patient_ref = models.CharField(max_length=REF, blank=True)
    type_code = models.CharField(max_length=64, blank=True)
    via_ref = models.CharField(max_length=REF, blank=True)
    version_id = models.CharField(max_length=64, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "fhir_ref", "target_ref"], name="referrals_evidence_natural_key"
            ),
            models.UniqueConstraint(fields=["referral", "kind", "fhir_ref"], name="referrals_evidence_once"),
        ]
        indexes = [
            models.Index(fields=["connection", "fhir_ref"], name="referrals_evidence_resource"),
            models.Index(fields=["connection", "target_ref"], name="referrals_evidence_target"),
            models.Index(fields=["connection", "patient_ref"], name="referrals_evidence_patient"),
            models.Index(fields=["connection", "visit_number"], name="referrals_evidence_visit"),
            models.Index(
                fields=["connection", "performer_ref", "performer_display"],
                name="referrals_evidence_performer",
            ),
        ]

    def __str__(self):
        return f"evidence {self.pk}"


class SyncWatermark(models.Model):
    """The newest change stored for one resource type from one connection (a meta.lastUpdated, or an
    export's transactionTime, or a per-patient walk's start: ehr/population/). Only moves forward."""

    connection = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=64)
    last_updated = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "resource_type"], name="referrals_watermark_key")
        ]

    def __str__(self):
        return f"watermark {self.pk}"


class SyncClaim(models.Model):
    """Who syncs a connection now: taken by a conditional UPDATE (STYLE.md convention 3) that holds until
    `claimed_until`, renewed after every page, so that a crashed worker's claim lapses by itself; and
    where its population walk stands (`resume`)."""

    connection = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=32, blank=True)  # a random id of the run holding it; "" when free
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # the end of the last complete run
    # Freshness (freshness.py): the run in progress, the last failure, the last "Sync now".
    started_at = models.DateTimeField(null=True, blank=True)
    progress_pages = models.PositiveIntegerField(default=0)
    progress_type = models.CharField(max_length=64, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    # The EHR refused the Backend Services client (invalid_client) at this time, for the registration
    # whose credentials hash to `credentials_fingerprint`: syncs wait (credential_backoff.py).
    credentials_refused_at = models.DateTimeField(null=True, blank=True)
    credentials_fingerprint = models.CharField(max_length=64, blank=True)
    # Where the connection's population walk goes on (ehr/population/: a search's next page, an export's
    # status URL and file line, a panel's patient): stored with each page, by the claim's holder only. The
    # EHR's own URLs, which may carry search parameters: stored, never logged or put in a task.
    resume = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"sync claim {self.pk}"


class SyncRequest(models.Model):
    """A sync someone asked for: a clinician's "track follow-up" (one patient) or a coordinator's "Sync now"
    (the whole connection, patient_id ""). Written in the transaction of its audit event (a transactional
    outbox): published to the broker right after, or by the relay once the broker is back (outbox.py)."""

    connection = models.CharField(max_length=64)
    # A FHIR id, never a name, a URL or anything else; "" for a sync of the whole connection.
    patient_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # published to the broker
    attempts = models.PositiveSmallIntegerField(default=0)  # publications (a lost one is sent again)
    finished_at = models.DateTimeField(null=True, blank=True)  # its sync ran (or cannot ever run)

    class Meta:
        indexes = [models.Index(fields=["finished_at", "sent_at"], name="referrals_syncrequest_pending")]

    def __str__(self):
        return f"sync request {self.pk}"


class OutreachNote(models.Model):
    """A coordinator's note on a referral ("left a message"); `idempotency_key` makes a resubmit a no-op."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="outreach")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(blank=True)
    contacted = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["referral", "-created_at"], name="referrals_outreach_latest")]

    def __str__(self):
        return f"outreach note {self.pk}"
