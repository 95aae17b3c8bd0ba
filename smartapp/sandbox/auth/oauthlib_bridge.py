"""Seeing an oauthlib request as the Django request it came from, to build the sandbox's URLs."""

from django.http import HttpRequest


class _HeadersRequest(HttpRequest):
    """A Django request rebuilt from the META copy django-oauth-toolkit hands oauthlib as headers."""

    def _get_scheme(self):
        return self.META.get("wsgi.url_scheme", "http")


def django_request(oauthlib_request) -> HttpRequest:
    """A Django request whose host and scheme are those of `oauthlib_request`."""
    request = _HeadersRequest()
    request.META = dict(oauthlib_request.headers)
    return request
