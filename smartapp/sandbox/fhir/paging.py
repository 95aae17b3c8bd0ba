"""Opaque paging tokens: a signed "continue after this row" cursor, bound to one resource type and to the
FHIR base that issued it (`scope`: "" for the plain base, "vendor/tenant" for a vendor emulation's).

Pages are ordered by primary key, so a cursor (keyset paging) stays correct while rows are added and
costs one indexed range scan however deep the page.
"""

import time

from django.core import signing

from smartapp.sandbox.fhir.outcomes import FhirError

_SALT = "smartapp.sandbox.fhir.page"
MAX_AGE = 3600  # seconds a paging token stays valid


class _Backdated(signing.TimestampSigner):
    """Signs as if long ago, so that the token has already expired when it is followed."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 2 * MAX_AGE)


def page_token(resource_type: str, after_pk: int, scope: str = "") -> str:
    """The token of the page that starts after row `after_pk`."""
    return signing.dumps([resource_type, after_pk, scope], salt=_SALT)


def expired_page_token(resource_type: str, after_pk: int, scope: str = "") -> str:
    """A well-formed but expired token: the broken `next` link of the next_broken fault (answers 410)."""
    return _Backdated(salt=_SALT).sign_object([resource_type, after_pk, scope])


def read_page_token(token: str, resource_type: str, scope: str = "") -> int:
    """The row a token continues after; 410 if it expired, 400 if it is not one of ours (or another
    base's: a vendor's next link works only on that vendor's base)."""
    try:
        token_type, after_pk, token_scope = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise FhirError(410, "The paging token has expired; start the search again") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise FhirError(400, "Invalid paging token") from None
    if (token_type, token_scope) != (resource_type, scope) or not isinstance(after_pk, int):
        raise FhirError(400, "Invalid paging token")
    return after_pk
