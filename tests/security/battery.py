"""The hostile-input battery's three checks (docs/security.md "Hostile-input battery"), shared by its modules.

Every case asserts, where it applies:
1. a clear page: the documented status, a human sentence, and no stack trace, module path or SQL;
2. nothing persisted: the rows a refused request could have left are counted before and after;
3. an audit event with the right action and outcome.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from smartapp.audit.models import AuditEvent
from smartapp.launch.models import Grant, Launch, PendingAuthorization
from smartapp.referrals.models import Evidence, OutreachNote, Referral

# What an error page must never show: a traceback, a source path, a Django module, SQL, a driver's name.
LEAKS = (
    "Traceback",
    'File "',
    "django.",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "sqlite3",
    "psycopg",
    "OperationalError",
    "Exception",
)
WATCHED = {
    "launch": Launch,
    "grant": Grant,
    "pending": PendingAuthorization,
    "user": get_user_model(),
    "referral": Referral,
    "evidence": Evidence,
    "outreach": OutreachNote,
}


def body_of(response) -> str:
    """The body of a Django test-client or a requests response."""
    if hasattr(response, "text"):
        return response.text
    return b"".join(response.streaming_content if response.streaming else [response.content]).decode()


def status_of(response) -> int:
    return response.status_code


def assert_clear_page(response, status: int, *phrases: str) -> str:
    """(1): `status`, every phrase shown, nothing that belongs in a log. Returns the body."""
    body = body_of(response)
    assert status_of(response) == status, (status_of(response), body[:300])
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} on a {status} page"
    for phrase in phrases:
        assert phrase in body, f"{phrase!r} not on the page"
    return body


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def counts() -> dict[str, int]:
    return {name: model.objects.count() for name, model in WATCHED.items()}


@dataclass
class Watch:
    """Rows and audit events before a hostile request, to compare with after it."""

    before: dict[str, int] = field(default_factory=counts)
    seq: int = field(default_factory=lambda: last_seq())

    def grown(self) -> dict[str, int]:
        """(2): the watched tables that gained rows, with how many."""
        now = counts()
        return {name: now[name] - self.before[name] for name in now if now[name] > self.before[name]}

    def shrunk(self) -> dict[str, int]:
        now = counts()
        return {name: self.before[name] - now[name] for name in now if now[name] < self.before[name]}

    def events(self) -> list[tuple[str, str]]:
        """(3): (action, outcome) of every audit event since, oldest first."""
        return list(
            AuditEvent.objects.filter(seq__gt=self.seq).order_by("seq").values_list("action", "outcome")
        )

    def event(self, action: str, outcome: str, **fields) -> AuditEvent:
        """The newest audit event (action, outcome) since, with `fields` (e.g. resource_types=...); fails
        naming what was recorded instead."""
        found = AuditEvent.objects.filter(seq__gt=self.seq, action=action, outcome=outcome, **fields)
        assert found.exists(), f"no audit event {action}/{outcome}; recorded: {self.events()}"
        return found.order_by("-seq").first()
