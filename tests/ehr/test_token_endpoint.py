"""The token endpoint against a fake EHR: typed errors, no resent POSTs, launch context checked."""

import base64

import pytest

from smartapp.ehr import token_endpoint
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrUnavailable, LaunchRejected
from tests.ehr.auth_fakes import (
    Answer,
    clean_cache,  # noqa: F401 (fixture)
    fake_ehr,  # noqa: F401 (fixture)
    html_answer,
    json_answer,
    make_config,
)

TOKEN = "/auth/token"
GRANTED = {
    "access_token": "at-123",
    "token_type": "Bearer",
    "expires_in": 3600,
    "scope": "launch openid fhirUser patient/Patient.rs",
    "refresh_token": "rt-456",
    "id_token": "a.b.c",
    "patient": "p-1",
    "encounter": "e-1",
    "need_patient_banner": False,
    "smart_style_url": "https://ehr.example.org/style.json",
}


def exchange(fake, config=None):
    return token_endpoint.exchange_code(
        config or make_config(fake.base_url),
        token_endpoint=fake.url(TOKEN),
        code="the-code",
        redirect_uri="http://127.0.0.1:8000/callback/fake/",
        code_verifier="the-verifier",
    )


def test_a_code_exchange_posts_the_pkce_verifier_and_reads_the_launch_context(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer(GRANTED)

    tokens = exchange(fake_ehr)

    assert (tokens.access_token, tokens.refresh_token, tokens.id_token) == ("at-123", "rt-456", "a.b.c")
    assert (tokens.patient, tokens.encounter, tokens.expires_in) == ("p-1", "e-1", 3600)
    assert tokens.scope == GRANTED["scope"]
    assert tokens.need_patient_banner is False
    assert tokens.smart_style_url == GRANTED["smart_style_url"]
    (seen,) = fake_ehr.seen
    assert seen.method == "POST"
    assert seen.form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "http://127.0.0.1:8000/callback/fake/",
        "code_verifier": "the-verifier",
        "client_id": "smartapp-test",
    }


def test_tokens_never_show_in_the_repr(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer(GRANTED)
    shown = repr(exchange(fake_ehr))
    assert "at-123" not in shown and "rt-456" not in shown and "a.b.c" not in shown


def test_defaults_for_what_the_ehr_leaves_out(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({"access_token": "at", "token_type": "bearer"})

    tokens = exchange(fake_ehr)

    assert (tokens.refresh_token, tokens.id_token, tokens.patient, tokens.scope) == ("", "", "", "")
    assert tokens.need_patient_banner is True
    assert tokens.expires_in == token_endpoint.DEFAULT_EXPIRES_IN


def test_a_client_secret_is_sent_as_http_basic(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer(GRANTED)
    config = make_config(fake_ehr.base_url, client_auth="client_secret_basic", client_secret="pw")

    exchange(fake_ehr, config)

    (seen,) = fake_ehr.seen
    assert "client_id" not in seen.form
    assert base64.b64decode(seen.headers["Authorization"].split()[1]) == b"smartapp-test:pw"


@pytest.mark.parametrize(
    ("error", "reason"),
    [("invalid_grant", "invalid_grant"), ("invalid_client", "invalid_client"), ("<b>Bad</b> 1!", "bbadb")],
)
def test_an_oauth_error_rejects_the_launch_with_its_code(fake_ehr, error, reason):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({"error": error, "error_description": "nope"}, status=400)

    with pytest.raises(LaunchRejected) as refused:
        exchange(fake_ehr)
    assert refused.value.reason == reason


def test_an_oauth_error_in_a_200_is_still_a_refusal(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({"error": "invalid_request"})

    with pytest.raises(LaunchRejected) as refused:
        exchange(fake_ehr)
    assert refused.value.reason == "invalid_request"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_unavailable_token_endpoint_gets_exactly_one_post(fake_ehr, status):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({}, status=status, **{"Retry-After": "7"})

    with pytest.raises(EhrUnavailable) as unavailable:
        exchange(fake_ehr)

    assert unavailable.value.retry_after == 7
    assert len(fake_ehr.seen) == 1  # a single-use code is never sent twice


def test_a_redirect_is_not_followed(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = Answer(307, b"", headers={"Location": fake_ehr.url("/elsewhere")})

    with pytest.raises(EhrBadResponse):
        exchange(fake_ehr)
    assert [seen.path for seen in fake_ehr.seen] == [TOKEN]


@pytest.mark.parametrize(
    "answer",
    [
        html_answer(),
        html_answer(400),
        Answer(200, b"{truncated"),
        json_answer({"token_type": "Bearer"}),  # no access token
        json_answer({**GRANTED, "token_type": "mac"}),
        json_answer({**GRANTED, "expires_in": "soon"}),
        json_answer({**GRANTED}, status=201),
        json_answer({"access_token": "x"}, status=403),
    ],
)
def test_an_unreadable_answer_is_a_bad_response(fake_ehr, answer):  # noqa: F811
    fake_ehr.answers[TOKEN] = answer
    with pytest.raises(EhrBadResponse):
        exchange(fake_ehr)


@pytest.mark.parametrize(
    ("field", "value"), [("patient", "../Patient/2"), ("patient", ".."), ("encounter", "a/b")]
)
def test_a_launch_context_id_that_is_not_a_fhir_id_is_refused(fake_ehr, field, value):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({**GRANTED, field: value})

    with pytest.raises(LaunchRejected) as refused:
        exchange(fake_ehr)
    assert refused.value.reason == f"{field}_invalid"


def test_a_style_url_that_is_not_an_https_url_is_dropped(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({**GRANTED, "smart_style_url": "javascript:alert(1)"})
    assert exchange(fake_ehr).smart_style_url == ""


def test_a_refused_refresh_token_means_the_grant_has_expired(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({"error": "invalid_grant"}, status=400)

    with pytest.raises(EhrAuthExpired):
        token_endpoint.refresh(
            make_config(fake_ehr.base_url), token_endpoint=fake_ehr.url(TOKEN), refresh_token="r"
        )
    assert fake_ehr.seen[0].form == {
        "grant_type": "refresh_token",
        "refresh_token": "r",
        "client_id": "smartapp-test",
    }


def test_a_failed_refresh_is_not_retried(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({}, status=502)

    with pytest.raises(EhrUnavailable):
        token_endpoint.refresh(
            make_config(fake_ehr.base_url), token_endpoint=fake_ehr.url(TOKEN), refresh_token="r"
        )
    assert len(fake_ehr.seen) == 1


def test_client_credentials_retries_once_with_a_new_assertion(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({}, status=503, **{"Retry-After": "0"})
    config = make_config(fake_ehr.base_url, client_auth="private_key_jwt")

    with pytest.raises(EhrUnavailable):
        token_endpoint.client_credentials(
            config, token_endpoint=fake_ehr.url(TOKEN), scope="system/Patient.rs"
        )

    assert len(fake_ehr.seen) == 2
    first, second = (seen.form for seen in fake_ehr.seen)
    assert first["grant_type"] == "client_credentials" and first["scope"] == "system/Patient.rs"
    assert first["client_assertion"] != second["client_assertion"]


def test_client_credentials_does_not_retry_a_refusal(fake_ehr):  # noqa: F811
    fake_ehr.answers[TOKEN] = json_answer({"error": "invalid_client"}, status=401)
    config = make_config(fake_ehr.base_url, client_auth="private_key_jwt")

    with pytest.raises(LaunchRejected) as refused:
        token_endpoint.client_credentials(
            config, token_endpoint=fake_ehr.url(TOKEN), scope="system/Patient.rs"
        )
    assert refused.value.reason == "invalid_client"
    assert len(fake_ehr.seen) == 1


def test_a_token_endpoint_off_the_allow_list_gets_nothing(fake_ehr):  # noqa: F811
    with pytest.raises(LaunchRejected) as refused:
        token_endpoint.exchange_code(
            make_config(fake_ehr.base_url),
            token_endpoint="http://127.0.0.2/token",
            code="c",
            redirect_uri="r",
            code_verifier="v",
        )
    assert refused.value.reason == "discovery_foreign_endpoint"


def test_revocation_posts_the_token_with_its_hint(fake_ehr):  # noqa: F811
    fake_ehr.answers["/auth/revoke"] = Answer(200, b"")
    config = make_config(fake_ehr.base_url)

    token_endpoint.revoke(
        config, revocation_endpoint=fake_ehr.url("/auth/revoke"), token="t", token_type_hint="x"
    )

    assert fake_ehr.seen[0].form == {"token": "t", "token_type_hint": "x", "client_id": "smartapp-test"}


@pytest.mark.parametrize(("status", "error"), [(503, EhrUnavailable), (400, EhrBadResponse)])
def test_a_failed_revocation_raises_a_typed_error(fake_ehr, status, error):  # noqa: F811
    fake_ehr.answers["/auth/revoke"] = json_answer({"error": "unsupported_token_type"}, status=status)
    with pytest.raises(error):
        token_endpoint.revoke(
            make_config(fake_ehr.base_url),
            revocation_endpoint=fake_ehr.url("/auth/revoke"),
            token="t",
            token_type_hint="access_token",
        )
