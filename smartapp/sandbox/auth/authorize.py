"""The authorization endpoint: django-oauth-toolkit's, with SMART's aud, launch and patient-picker rules."""

from django.shortcuts import render
from django.urls import reverse_lazy
from django.views import View
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.views.base import BaseAuthorizationView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749 import errors

from smartapp.sandbox import faults
from smartapp.sandbox.auth import launch, who
from smartapp.sandbox.auth.patients import find_patients
from smartapp.sandbox.auth.server import SmartServer
from smartapp.sandbox.base_url import PATHS, fhir_base, same_base, vendor_of
from smartapp.sandbox.vendors import rules_for

_AUTH_FAULTS = {faults.AUTH_INVALID_CLIENT_ID, faults.AUTH_INVALID_REDIRECT_URI, faults.AUTH_INVALID_SCOPE}
_PAGE_FAULTS = {
    faults.AUTH_INVALID_CLIENT_ID: "Unknown client: no app is registered with this client_id.",
    faults.AUTH_INVALID_REDIRECT_URI: "The redirect_uri is not one registered for this client.",
}


class SmartAuthorizationView(BaseAuthorizationView):
    """Every sandbox authorization is approved without a consent screen (see the issue: auto-approve).

    An EHR launch acts for the user the simulator signed in; a standalone launch asks who is signing in,
    every time (who.py), so it needs no sandbox sign-in first.
    """

    server_class = SmartServer
    login_url = reverse_lazy("sandbox_auth:login")

    def dispatch(self, request, *args, **kwargs):
        if not who.is_standalone(request):
            _sso_from_launch(request)
            return super().dispatch(request, *args, **kwargs)
        self.oauth2_data = {}  # BaseAuthorizationView.dispatch, without LoginRequiredMixin's sign-in check
        return View.dispatch(self, request, *args, **kwargs)

    def get_login_url(self):
        """The sign-in page of the authorization server the request came to (on its own host)."""
        vendor, tenant = vendor_of(self.request)
        return PATHS[vendor][1].format(tenant=tenant) + "/login/"

    def get(self, request, *args, **kwargs):
        return self._authorize(request, chosen_patient="")

    def post(self, request, *args, **kwargs):
        """The patient picker posts back here, to the same URL, with the chosen patient."""
        return self._authorize(request, chosen_patient=request.POST.get("patient", ""))

    def _authorize(self, request, *, chosen_patient: str):
        injected = faults.active(request, client_id=request.GET.get("client_id", ""), kinds=_AUTH_FAULTS)
        for kind, message in _PAGE_FAULTS.items():
            if kind in injected:
                return error_page(request, message)
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, None)
        oauth_request = credentials["request"]
        try:
            _check_request(request, oauth_request, injected)
            if who.is_standalone(request) and not _standalone_user(request):
                return who.identity_page(request, scopes, client_name=oauth_request.client.name)
            context = launch.resolve(request, scopes, chosen_patient=chosen_patient)
        except errors.OAuth2Error as error:
            return self.error_response(OAuthToolkitError(error), oauth_request.client)
        except launch.LaunchRefused as refused:
            error = errors.InvalidRequestError(description=refused.description, request=oauth_request)
            return self.error_response(OAuthToolkitError(error), oauth_request.client)
        if context is None:
            return _patient_picker(request)
        credentials["smart_context"] = context.as_dict()
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, oauth_request.client)
        return self.redirect(uri, oauth_request.client)

    def error_response(self, error, application, **kwargs):
        redirect, response = OAuthLibMixin.error_response(self, error, **kwargs)
        if redirect:
            return self.redirect(response["url"], application)
        # A bad client_id or redirect_uri is never redirected to (RFC 6749, section 4.1.2.1).
        message = response["error"].description or "The authorization request is invalid."
        return error_page(self.request, message, status=400)


def _check_request(request, oauth_request, injected) -> None:
    """SMART's own checks of a request oauthlib found valid; raises an oauthlib error to redirect with."""
    if faults.AUTH_INVALID_SCOPE in injected:
        raise errors.InvalidScopeError(description="Scope refused (injected fault).", request=oauth_request)
    # SMART App Launch: `aud` must name the FHIR server the app means to reach.
    if not same_base(request.GET.get("aud", ""), fhir_base(request)):
        raise errors.InvalidRequestError(
            description="aud must be this sandbox's FHIR base URL.", request=oauth_request
        )


def _sso_from_launch(request) -> None:
    """On a separate authorization host (Oracle's authorization.cerner.com), nobody is signed in to the
    sandbox: an EHR launch then acts for the user the launch was made for, as the EHR's single sign-on
    would (assumption: https://fhir.cerner.com/authorization/ describes EHR launches without a second
    sign-in). The launch value is unguessable and single-use (launch.py checks both)."""
    if request.user.is_authenticated or not rules_for(vendor_of(request)[0]).separate_auth_host:
        return
    user = launch.launch_user(request.GET.get("launch", ""))
    if user is not None:
        request.user = user


def _standalone_user(request) -> bool:
    """Act for the user chosen on this authorization's own page, never for the sandbox's signed-in one."""
    identity = who.chosen_identity(request)
    if identity is not None:
        request.user = identity.user
    return identity is not None


def _patient_picker(request):
    # Searched by POST, so that a patient's name stays out of the URL; a `patient_search` in it still works.
    search = request.POST.get("patient_search") or request.GET.get("patient_search", "")
    identity = who.chosen_identity(request)
    context = {"patients": find_patients(search), "search": search, "identity": identity}
    return render(request, "sandbox/auth/picker.html", context)


def error_page(request, message: str, status: int = 400):
    """An HTML error page for the person at the browser, for errors that must not redirect."""
    return render(request, "sandbox/auth/error.html", {"message": message}, status=status)
