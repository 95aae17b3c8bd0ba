"""Response headers every page of the app gets, and the app's 404 page while DEBUG is on."""

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.utils.log import log_response

from smartapp.core import errors


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response that does not declare itself public (ASVS 14.3.2).

    Pages show PHI, and after a sign-out neither the browser's cache nor its back button may show them
    again. Static files never get here (WhiteNoise answers them first); a response a view marks `public`
    (the app's JWKS) keeps its own caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.static_prefix) or "public" in response.get("Cache-Control", ""):
            return response
        patch_cache_control(response, no_store=True)
        return response


class StyledNotFoundMiddleware:
    """While DEBUG is on, Django answers a 404 with its technical page, which lists every URL pattern, and
    never calls handler404. This answers it with the app's page first (unless SHOW_TRACEBACKS): a path
    that resolves to no view, and an Http404 a view raises. With DEBUG off it does nothing.

    Goes after CommonMiddleware, whose APPEND_SLASH redirect then still turns this 404 into a redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _technical_pages_hidden():
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404:
                return _not_found(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and _technical_pages_hidden():
            return _not_found(request)
        return None


def _technical_pages_hidden() -> bool:
    return settings.DEBUG and not getattr(settings, "SHOW_TRACEBACKS", False)


def _not_found(request):
    response = errors.page_not_found(request)
    log_response("Not Found: %s", request.path, response=response, request=request)  # as Django would
    return response
