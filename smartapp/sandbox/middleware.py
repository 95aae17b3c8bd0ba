"""Sandbox users sign in to the sandbox, not to the app.

Under /sandbox/ the request's user comes from the sandbox's own signed cookie (path /sandbox/), and the
app's session user is hidden; elsewhere the sandbox cookie is never sent. So signing in as a sandbox
practitioner never signs anyone in to smartapp, and the reverse.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import signing

from smartapp.sandbox.form_token import set_cookie

COOKIE = "sandbox_user"
PATH = "/sandbox/"
_SALT = "smartapp.sandbox.user"
MAX_AGE = 8 * 3600


class SandboxUserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PATH):
            request.user = _user_from_cookie(request) or AnonymousUser()
        response = self.get_response(request)
        set_cookie(request, response)  # the sandbox forms' own CSRF token, when a page made one
        return response


def _user_from_cookie(request):
    try:
        user_id = signing.loads(request.COOKIES.get(COOKIE, ""), salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def sign_in(response, user) -> None:
    """Sign `user` in to the sandbox on `response`."""
    response.set_cookie(
        COOKIE, signing.dumps(user.pk, salt=_SALT), max_age=MAX_AGE, path=PATH, httponly=True, samesite="Lax"
    )


def sign_out(response) -> None:
    response.delete_cookie(COOKIE, path=PATH)
