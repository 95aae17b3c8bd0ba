from django.db import models

from smartapp.referrals.models import REF, Referral

# An inbound message's processing status (process.py).
PENDING = "pending"  # stored and ACKed; not processed yet (or waiting to retry: next_attempt_at)
PROCESSED = "processed"  # its effect is on the worklist (or it had none to have)
PARKED = "parked"  # its patient could not be matched: waits for a coordinator (views.py), never dropped
IGNORED = "ignored"  # a processing id (MSH-11) or patient class smartapp does nothing with; kept
STATUSES = [(s, s) for s in (PENDING, PROCESSED, PARKED, IGNORED)]


class InboundMessage(models.Model):
    """One HL7 v2 message as received over MLLP: stored, committed, then ACKed (STYLE.md 13).

    Unique per (sender, control_id): a sender's retry of a message already stored is a duplicate, ACKed
    again and never processed twice. `raw` holds the bytes between the MLLP start and end blocks (PHI:
    never logged); the other columns are what the store and the processing key on.
    """

    sender = models.CharField(max_length=160)  # Header.sender: "MSH-3^MSH-4" namespace ids
    control_id = models.CharField(max_length=199)  # MSH-10
    connection = models.CharField(max_length=64)  # the registration the sending facility maps to
    event = models.CharField(max_length=8)  # "A03"
    message_time = models.DateTimeField(null=True, blank=True)  # MSH-7: the processing order
    received_at = models.DateTimeField()
    raw = models.BinaryField()
    visit_number = models.CharField(max_length=64, blank=True)  # PV1-19: messages of one visit fold together
    accept_ack = models.CharField(max_length=2, blank=True)  # MSH-15
    app_ack = models.CharField(max_length=2, blank=True)  # MSH-16
    listener = models.CharField(max_length=64, blank=True)  # which listener process stored it
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    reason = models.CharField(max_length=32, blank=True)  # a fixed code: no_match, several_matches, ...
    patient_ref = models.CharField(max_length=REF, blank=True)  # the EHR's Patient it was matched to
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="adt_messages"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)  # conditional UPDATE (STYLE.md 3)
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Enhanced mode's application ACK (MSH-16), sent to the registration's `[adt] return_address`.
    app_ack_code = models.CharField(max_length=2, blank=True)  # AA, AE, AR once decided
    app_ack_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "control_id"], name="adt_inbound_sender_control_id")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="adt_inbound_due"),
            models.Index(fields=["connection", "visit_number", "message_time"], name="adt_inbound_visit"),
            models.Index(fields=["connection", "status", "received_at"], name="adt_inbound_review"),
            # The application ACKs still to send (app_acks.py looks after every committed batch): a few rows,
            # found without reading the whole inbox, where most messages never ask for one.
            models.Index(
                fields=["connection", "id"],
                condition=models.Q(app_ack_sent_at__isnull=True) & ~models.Q(app_ack_code=""),
                name="adt_inbound_app_ack_due",
            ),
        ]

    def __str__(self):
        return f"inbound message {self.pk}"


class PatientMatch(models.Model):
    """The outcome of a PID-3 identifier search at the EHR (matching.py): recorded, and reused until it
    is searched again. `identifier` is "system|value" as searched (PHI: never logged)."""

    MATCHED, NONE, SEVERAL = "matched", "none", "several"
    OUTCOMES = [(o, o) for o in (MATCHED, NONE, SEVERAL)]

    connection = models.CharField(max_length=64)
    identifier = models.CharField(max_length=300)
    outcome = models.CharField(max_length=16, choices=OUTCOMES)
    patient_ref = models.CharField(max_length=REF, blank=True)  # when matched: "Patient/<id>"
    candidates = models.PositiveSmallIntegerField(default=0)  # how many Patients the search returned
    method = models.CharField(max_length=32, default="identifier_search")  # or "coordinator"
    searched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "identifier"], name="adt_patient_match_key")
        ]

    def __str__(self):
        return f"patient match {self.pk}"
