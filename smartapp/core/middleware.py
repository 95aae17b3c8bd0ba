"""Response headers every page of the app gets."""

from django.conf import settings
from django.utils.cache import patch_cache_control


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
