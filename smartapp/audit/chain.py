"""The HMAC chain over audit events: each mac covers the previous mac and the event's canonical JSON.

The key lives in settings (the environment), never in the database, so someone who can only write to
the database cannot re-chain altered rows.
"""

import hashlib
import hmac
import json

from django.conf import settings

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "ts", "action", "outcome", "user_id", "fhir_user", "issuer", "launch_id", "patient_ref",
    "resource_types", "detail", "ip", "user_agent", "key_id",
)  # fmt: skip


def canonical(event) -> bytes:
    values = {name: getattr(event, name) for name in CHAINED_FIELDS}
    values["ts"] = event.ts.isoformat()
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def mac_for(event, prev_mac: str) -> str:
    key = settings.AUDIT_HMAC_KEYS[event.key_id].encode()
    return hmac.new(key, prev_mac.encode() + canonical(event), hashlib.sha256).hexdigest()
