"""Template context every page rendered with its request gets."""

from django.conf import settings

WARNING_LEAD = 120  # seconds: warn this long before the idle sign-out (WCAG 2.2.1 asks for 20 s or more)


def idle_warning(request) -> dict:
    """For a signed-in browser: when the idle sign-out comes and when to warn of it (base.html)."""
    user = getattr(request, "user", None)
    exempt = tuple(getattr(settings, "SESSION_TIMEOUT_EXEMPT_PATHS", ()))
    if user is None or not user.is_authenticated or (exempt and request.path.startswith(exempt)):
        return {}
    timeout = settings.SESSION_IDLE_TIMEOUT
    return {"idle_warning": {"timeout": timeout, "lead": min(WARNING_LEAD, timeout // 2)}}
