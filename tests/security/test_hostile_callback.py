"""Hostile-input battery, launch entry points: RFC 9207 `iss` on the callback, repeated parameters and
control characters on /launch/, the sign-in buttons' POST and /callback/<name>/ (issue 11, items 3 and 4).

Each case: a clear page, nothing persisted, the audit event of the refusal, and no token request (no
connection at all where the refusal comes before discovery). The EHR is the loopback fake of
fake_registration.py, driven through the views with Django's test client.
"""

from urllib.parse import quote, urlencode

import pytest

from smartapp.launch.models import Launch
from tests.ehr.auth_fakes import json_answer, smart_configuration
from tests.security.battery import Watch, assert_clear_page

SANDBOX_ISS = "http://127.0.0.1:8000/sandbox/fhir"
NOTHING = {}


def _callback(client, query: str, config: str = "fake"):
    return client.get(f"/callback/{config}/?{query}")


def _advertise(ehr, **document) -> None:
    ehr.server.answers["/fhir/.well-known/smart-configuration"] = json_answer(
        smart_configuration(ehr.server, **document)
    )


# -- RFC 9207: the callback's `iss` ------------------------------------------------------------------------
FOREIGN_ISS = {
    "iss-another-registered-ehr": SANDBOX_ISS,
    "iss-attacker": "https://attacker.example/fhir",
    "iss-trailing-slash": "{iss}/",
    "iss-other-case": "{ISS}",
    "iss-prefix": "{iss}x",
    "iss-empty": "",
}


@pytest.mark.parametrize("iss", FOREIGN_ISS.values(), ids=FOREIGN_ISS.keys())
@pytest.mark.parametrize("answer", ["code", "error"], ids=["code-answer", "error-answer"])
def test_an_iss_other_than_the_servers_is_refused_before_the_token_request(client, hostile_ehr, iss, answer):
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth)))
    iss = iss.format(iss=hostile_ehr.iss, ISS=hostile_ehr.iss.upper())
    query = {"code": "code-1"} if answer == "code" else {"error": "access_denied"}
    watch = Watch()

    page = _callback(client, urlencode({**query, "state": auth.state, "iss": iss}))

    assert_clear_page(page, 400, "Sign-in could not be verified", "different sign-in server")
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}  # spent: only a new sign-in is safe
    watch.event("token.exchange", "iss_mismatch")
    assert hostile_ehr.token_requests() == 0


def test_the_advertised_issuer_is_the_one_compared(client, hostile_ehr):
    """A server whose smart-configuration `issuer` is not its FHIR base names that issuer in `iss`."""
    issuer = hostile_ehr.server.url("/auth")
    _advertise(hostile_ehr, issuer=issuer)
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(
        json_answer(hostile_ehr.token_body(auth, id_token=hostile_ehr.id_token(auth, iss=issuer)))
    )
    refused = _callback(client, urlencode({"code": "code-1", "state": auth.state, "iss": hostile_ehr.iss}))
    assert_clear_page(refused, 400, "different sign-in server")

    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(
        json_answer(hostile_ehr.token_body(auth, id_token=hostile_ehr.id_token(auth, iss=issuer)))
    )
    accepted = _callback(client, urlencode({"code": "code-1", "state": auth.state, "iss": issuer}))
    assert accepted.status_code == 302 and Launch.objects.count() == 1
    assert hostile_ehr.token_requests() == 1  # the refused answer's code was never sent


def test_a_server_that_promises_iss_must_send_it(client, hostile_ehr):
    _advertise(hostile_ehr, authorization_response_iss_parameter_supported=True)
    auth = hostile_ehr.begin(client)
    watch = Watch()

    page = _callback(client, urlencode({"code": "code-1", "state": auth.state}))

    assert_clear_page(page, 400, "Sign-in could not be verified", "does not")
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}
    watch.event("token.exchange", "iss_missing")
    assert hostile_ehr.token_requests() == 0

    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth)))
    assert (
        _callback(
            client, urlencode({"code": "code-1", "state": auth.state, "iss": hostile_ehr.iss})
        ).status_code
        == 302
    )


# -- repeated parameters and control characters on the callback ----------------------------------------------
# "{state}" is the valid state of the sign-in in flight.
CALLBACK_REPEATS = {
    "state-forged-then-valid": "code=code-1&state=forged&state={state}",
    "state-valid-then-forged": "code=code-1&state={state}&state=forged",
    "state-empty-duplicate": "code=code-1&state={state}&state=",
    "state-twice-the-same": "code=code-1&state={state}&state={state}",
    "code-repeated": "code=x&code=code-1&state={state}",
    "code-empty-duplicate": "code=&code=code-1&state={state}",
    "iss-repeated": "code=code-1&state={state}&iss={iss}&iss={iss}",
    "error-repeated": "error=access_denied&error=server_error&state={state}",
    "error-description-repeated": "error=access_denied&error_description=a&error_description=b&state={state}",
    "session-state-repeated": "code=code-1&state={state}&session_state=a&session_state=b",
    "aud-repeated": "code=code-1&state={state}&aud=a&aud=b",
}
CONTROL = {
    "crlf": "%0d%0a",
    "lf": "%0a",
    "nul": "%00",
    "tab": "%09",
    "del": "%7f",
    "c1-nel": "%c2%85",
    "line-separator-u2028": "%e2%80%a8",
    "paragraph-separator-u2029": "%e2%80%a9",
    "rtl-override-u202e": "%e2%80%ae",
    "lone-surrogate": "%ed%a0%80",
    "invalid-utf8": "%ff",
}
CALLBACK_CONTROLS = {
    **{f"state-{name}": "code=code-1&state={state}" + char for name, char in CONTROL.items()},
    **{f"code-{name}": "code=code-1" + char + "&state={state}" for name, char in CONTROL.items()},
    "iss-crlf": "code=code-1&state={state}&iss={iss}%0d%0aSet-Cookie:x=1",
    "error-description-u2028": "error=access_denied&error_description=a%e2%80%a8b&state={state}",
    "error-nul": "error=access_denied%00&state={state}",
    "session-state-crlf": "code=code-1&state={state}&session_state=a%0d%0ab",
}
CALLBACK_MALFORMED = {
    **{case: (query, "parameter_repeated") for case, query in CALLBACK_REPEATS.items()},
    **{case: (query, "parameter_malformed") for case, query in CALLBACK_CONTROLS.items()},
}


@pytest.mark.parametrize(("query", "reason"), CALLBACK_MALFORMED.values(), ids=CALLBACK_MALFORMED.keys())
def test_a_callback_with_a_repeated_or_malformed_parameter_is_refused(client, hostile_ehr, query, reason):
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth)))
    watch = Watch()

    page = _callback(client, query.format(state=auth.state, iss=quote(hostile_ehr.iss, safe="")))

    body = assert_clear_page(page, 400, "Malformed sign-in link")
    assert "Set-Cookie" not in body and "forged" not in body
    assert watch.grown() == NOTHING and watch.shrunk() == {}  # refused before the state was looked at
    watch.event("token.exchange", reason)
    assert hostile_ehr.token_requests() == 0
    # The sign-in in flight is untouched: its real answer still completes it, once.
    assert hostile_ehr.callback(client, auth).status_code == 302
    assert hostile_ehr.token_requests() == 1


# -- repeated parameters and control characters on the EHR launch -------------------------------------------
LAUNCH_MALFORMED = {
    "iss-repeated-same": ("iss={iss}&iss={iss}&launch=l-1", "parameter_repeated"),
    "iss-repeated-other": ("iss={iss}&iss={sandbox}&launch=l-1", "parameter_repeated"),
    "iss-empty-duplicate": ("iss={iss}&iss=&launch=l-1", "parameter_repeated"),
    "launch-repeated": ("iss={iss}&launch=l-1&launch=l-2", "parameter_repeated"),
    "launch-empty-duplicate": ("iss={iss}&launch=&launch=l-1", "parameter_repeated"),
    "aud-repeated": ("iss={iss}&launch=l-1&aud=a&aud=b", "parameter_repeated"),
    "state-smuggled-twice": ("iss={iss}&launch=l-1&state=a&state=b", "parameter_repeated"),
    **{
        f"launch-{name}": ("iss={iss}&launch=l-1" + char, "parameter_malformed")
        for name, char in CONTROL.items()
    },
    "launch-crlf-header-injection": (
        "iss={iss}&launch=l-1%0d%0aLocation:%20https://attacker.example/",
        "parameter_malformed",
    ),
}


@pytest.mark.parametrize(("query", "reason"), LAUNCH_MALFORMED.values(), ids=LAUNCH_MALFORMED.keys())
def test_an_ehr_launch_with_a_repeated_or_malformed_parameter_is_refused(
    client, hostile_ehr, sockets, query, reason
):
    watch = Watch()

    page = client.get(
        "/launch/?" + query.format(iss=quote(hostile_ehr.iss, safe=""), sandbox=quote(SANDBOX_ISS, safe=""))
    )

    body = assert_clear_page(page, 400, "Malformed sign-in link")
    assert "attacker.example" not in body and "Location" not in page
    assert watch.grown() == NOTHING
    watch.event("launch.begin", reason)
    assert sockets == []  # refused before discovery: nothing left the app


# -- the sign-in buttons' POST (standalone launch) -----------------------------------------------------------
STANDALONE_MALFORMED = {
    "as-repeated-in-the-body": ("", "as=patient&as=coordinator", "parameter_repeated"),
    "as-empty-duplicate": ("", "as=patient&as=", "parameter_repeated"),
    "as-in-query-and-body": ("as=coordinator", "as=patient", "parameter_repeated"),
    "iss-in-query-and-body": (
        "iss=https://attacker.example/fhir",
        "as=patient&iss=https://attacker.example/fhir",
        "parameter_repeated",
    ),
    "launch-in-query-and-body": ("launch=a", "as=patient&launch=b", "parameter_repeated"),
    "as-crlf": ("", "as=patient%0d%0a", "parameter_malformed"),
    "as-nul": ("", "as=patient%00", "parameter_malformed"),
    "as-u2028": ("", "as=patient%e2%80%a8", "parameter_malformed"),
    "iss-tab-in-query": ("iss=a%09b", "as=patient", "parameter_malformed"),
}


@pytest.mark.parametrize(
    ("query", "body", "reason"), STANDALONE_MALFORMED.values(), ids=STANDALONE_MALFORMED.keys()
)
def test_a_sign_in_button_post_with_a_repeated_or_malformed_parameter_is_refused(
    client, hostile_ehr, sockets, query, body, reason
):
    watch = Watch()

    page = client.post(
        f"/launch/sandbox/?{query}", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert_clear_page(page, 400, "Malformed sign-in link")
    assert watch.grown() == NOTHING
    watch.event("launch.begin", reason)
    assert sockets == []
