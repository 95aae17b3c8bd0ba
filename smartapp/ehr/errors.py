"""Typed EHR errors. Each says whether a retry can help; messages are fixed strings without PHI."""


class EhrError(Exception):
    """Base of every error raised by smartapp.ehr."""

    transient = False
    message = "The EHR could not be reached or answered in a way smartapp cannot use."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)


class EhrUnavailable(EhrError):
    """429, 5xx, a timeout or a refused connection: worth retrying later (after `retry_after` seconds)."""

    transient = True
    message = "The EHR is unavailable right now."
    # Set by EhrClient.search_pages: the page URL to resume at. It is the EHR's own URL and may name a
    # patient, so it is for storing and passing back, never for logs, messages or task arguments.
    resume_url: str | None = None

    def __init__(self, message: str | None = None, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class EhrAuthExpired(EhrError):
    """401, or a token the EHR no longer accepts: the user must launch again (or the grant be refreshed)."""

    message = "The EHR no longer accepts this session's token."

    def __init__(self, message: str | None = None, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason  # the token endpoint's OAuth error code ("invalid_grant"), "" for a FHIR 401


class EhrForbidden(EhrError):
    """403: the granted scopes do not cover this request."""

    message = "The EHR did not share this information with smartapp."


class EhrBadResponse(EhrError):
    """The EHR answered with something that is not what the protocol promises (HTML, bad JSON, ...)."""

    message = "The EHR answered with something smartapp cannot read."


class EhrRedirected(EhrBadResponse):
    """A 3xx to a discovery, token or JWKS request: never followed, since it would carry the request (a
    code, a verifier, a token) wherever the EHR points, another EHR's endpoints included."""

    message = "The EHR answered with a redirect, which smartapp does not follow."


class LaunchRejected(EhrError):
    """A launch that must not go on: unknown issuer, bad state, bad id_token, refused authorization."""

    message = "This launch cannot be completed."

    def __init__(self, message: str | None = None, *, reason: str = "rejected"):
        super().__init__(message)
        self.reason = reason  # a short machine-readable code for audit and tests, never PHI
