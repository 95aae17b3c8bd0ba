"""What a person sees when a launch cannot go on: what happened and what to do, never a stack trace."""

from dataclasses import dataclass

from django.shortcuts import render

from smartapp.ehr.errors import EhrAuthExpired, EhrError, LaunchRejected


@dataclass(frozen=True)
class Problem:
    title: str
    explanation: str
    action: str
    status: int = 400


_RELAUNCH = "Open smartapp again from your EHR, or sign in again from the smartapp home page."
_CONTACT = "If this keeps happening, contact your organization's EHR support team."

PROBLEMS = {
    "unknown_iss": Problem(
        "Unknown EHR",
        "smartapp was opened by a system it is not registered with, or by a malformed link.",
        "Open smartapp from your EHR's menu. " + _CONTACT,
    ),
    "launch_missing": Problem(
        "Incomplete launch link", "The EHR's link did not say what to open.", _RELAUNCH
    ),
    "unknown_config": Problem(
        "Unknown sign-in option",
        "That sign-in option does not exist here.",
        "Choose your EHR on the smartapp home page.",
        404,
    ),
    "persona_not_offered": Problem(
        "Sign-in not offered",
        "This EHR is not set up for that kind of sign-in.",
        "Choose another sign-in option on the home page.",
    ),
    "state_missing": Problem(
        "Sign-in could not be verified", "The answer from the EHR carried no request id.", _RELAUNCH
    ),
    "state_unknown": Problem(
        "Sign-in could not be verified",
        "This sign-in answer does not match a request from this browser, or it was already used.",
        _RELAUNCH,
    ),
    "state_other_browser": Problem(
        "Sign-in started in another browser",
        "This sign-in was started in a different browser or session.",
        _RELAUNCH,
    ),
    "state_other_ehr": Problem(
        "Sign-in could not be verified", "The answer came back for a different EHR.", _RELAUNCH
    ),
    "state_expired": Problem(
        "Sign-in took too long", "More than ten minutes passed since sign-in began.", _RELAUNCH
    ),
    "parameter_repeated": Problem(
        "Malformed sign-in link",
        "The link repeats a sign-in parameter, so smartapp cannot tell which value is meant.",
        _RELAUNCH,
    ),
    "parameter_malformed": Problem(
        "Malformed sign-in link", "The link carries characters that do not belong in it.", _RELAUNCH
    ),
    "iss_mismatch": Problem(
        "Sign-in could not be verified",
        "The answer names a different sign-in server than the one smartapp asked.",
        _RELAUNCH,
    ),
    "iss_missing": Problem(
        "Sign-in could not be verified",
        "The EHR's sign-in server names itself in every answer, and this answer does not.",
        _RELAUNCH,
    ),
    "code_missing": Problem("Sign-in incomplete", "The EHR did not send an authorization code.", _RELAUNCH),
    "ehr_access_denied": Problem(
        "Access not granted",
        "You or the EHR declined to let smartapp in.",
        "If that was a mistake, open smartapp again and allow access.",
        403,
    ),
    "ehr_invalid_scope": Problem(
        "Permissions refused", "The EHR refused the permissions smartapp asked for.", _CONTACT
    ),
    "identity_not_granted": Problem(
        "Who you are was not shared",
        "The EHR did not tell smartapp who is signed in, so it cannot continue.",
        _CONTACT,
        403,
    ),
    "fhiruser_missing": Problem(
        "Who you are was not shared", "The EHR's sign-in token names no user.", _CONTACT, 403
    ),
    "not_a_coordinator": Problem(
        "Not a care coordinator",
        "Your EHR account is not one of this organization's care coordinators in smartapp.",
        "Ask your administrator to add you, or open smartapp from a patient's chart instead.",
        403,
    ),
    "not_a_patient": Problem(
        "Not signed in as a patient",
        "You chose to sign in as a patient, but the EHR signed you in as a clinician or staff member.",
        "Sign in again from the smartapp home page and choose a patient at the EHR's sign-in. "
        "Clinicians open smartapp from inside a patient's chart.",
        403,
    ),
    "no_patient_context": Problem(
        "No patient chosen",
        "The EHR did not say which patient's record to open.",
        "Open smartapp from inside a patient's chart.",
        400,
    ),
    "patient_not_self": Problem(
        "Not your record", "A patient can open only their own record.", _RELAUNCH, 403
    ),
    "relaunch": Problem(
        "Your session with the EHR has ended",
        "The EHR no longer accepts this session (it expired or was revoked).",
        _RELAUNCH,
        401,
    ),
    "not_shared": Problem(
        "Not shared by your EHR",
        "The EHR did not share this record with smartapp.",
        "Go back to the chart.",
        403,
    ),
    "unavailable": Problem(
        "The EHR is not answering",
        "smartapp could not reach the EHR just now.",
        "Wait a minute and try again.",
        503,
    ),
    "rate_limited": Problem(
        "Too many sign-in attempts",
        "This network has started more sign-ins in the last minute than smartapp allows.",
        "Wait a minute, then open smartapp again from your EHR or sign in again. " + _CONTACT,
        429,
    ),
    "bad_response": Problem(
        "The EHR answered unexpectedly",
        "The EHR sent something smartapp cannot read.",
        "Try again; " + _CONTACT,
        502,
    ),
}
_DEFAULT = Problem("Sign-in could not be completed", "The EHR's answer could not be accepted.", _RELAUNCH)


def problem_for(reason: str) -> Problem:
    if reason.startswith("ehr_") and reason not in PROBLEMS:
        return Problem(
            "The EHR refused the sign-in", "The EHR answered the sign-in with an error.", _RELAUNCH
        )
    if reason.startswith("id_token"):
        return Problem(
            "Sign-in could not be verified",
            "The EHR's proof of who you are did not check out.",
            _RELAUNCH,
            401,
        )
    return PROBLEMS.get(reason, _DEFAULT)


def reason_for(error: EhrError) -> str:
    """The problem shown for an EHR error: the launch's own reason, a relaunch, or the EHR's state."""
    if isinstance(error, LaunchRejected):
        return error.reason
    if isinstance(error, EhrAuthExpired):
        return "relaunch"
    return "unavailable" if error.transient else "bad_response"


def problem_page(request, reason: str):
    """An HTML page for `reason` with its status; names the reason code for support staff."""
    problem = problem_for(reason)
    response = render(
        request, "launch/problem.html", {"problem": problem, "reason": reason}, status=problem.status
    )
    response["Cache-Control"] = "no-store"
    return response
