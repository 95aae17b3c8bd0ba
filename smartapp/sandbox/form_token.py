"""The sandbox's own CSRF token for its pages' forms: a signed double-submit cookie that only /sandbox/ sees.

Django's CSRF secret (a cookie on /) is shared with smartapp, and smartapp's sign-in rotates it
(`django.contrib.auth.login` -> `rotate_token`). A launch from the simulator ends in that sign-in, in a new
window, so pressing Launch again on the same simulator page sent a stale token and was refused (issue 11,
item 15). This token sits in a cookie on /sandbox/ that nothing rotates. It still protects the forms: a
cross-site page cannot read it, the browser does not send it on a cross-site post (SameSite=Strict), and
it is signed, so a cookie planted by anyone without the SECRET_KEY does not pass.
"""

import secrets
from functools import wraps

from django.core import signing
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

COOKIE = "sandbox_form"
FIELD = "sandbox_form_token"
PATH = "/sandbox/"
_SALT = "smartapp.sandbox.form"
_NEW = "_sandbox_new_form_token"


def form_token(request) -> str:
    """This browser's token, for a form's hidden FIELD; a new one is set as a cookie by the middleware."""
    current = request.COOKIES.get(COOKIE, "")
    if _genuine(current):
        return current
    if not getattr(request, _NEW, ""):
        setattr(request, _NEW, signing.dumps(secrets.token_urlsafe(24), salt=_SALT))
    return getattr(request, _NEW)


def set_cookie(request, response) -> None:
    """Send the token `form_token` made during this request, if it made one."""
    if token := getattr(request, _NEW, ""):
        response.set_cookie(
            COOKIE, token, path=PATH, httponly=True, samesite="Strict", secure=request.is_secure()
        )


def accepted(request) -> bool:
    """True when the post carries this browser's genuine token."""
    cookie = request.COOKIES.get(COOKIE, "")
    return _genuine(cookie) and constant_time_compare(request.POST.get(FIELD, ""), cookie)


def refusal(request):
    problems = ["This form was not sent from a sandbox page in this browser. Reload the page and try again."]
    context = {"title": "This form could not be sent", "problems": problems}
    return render(request, "sandbox/simulator/refused.html", context, status=403)


def form_token_required(view):
    """Check a POST against the sandbox's token instead of Django's shared, rotating one."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method == "POST" and not accepted(request):
            return refusal(request)
        return view(request, *args, **kwargs)

    return csrf_exempt(checked)


def _genuine(token: str) -> bool:
    try:
        signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return False
    return True
