"""The OAuth and SMART launch parameters of a request to a launch entry point: one value each, printable.

A parameter given twice (`state=forged&state=VALID`, an empty duplicate, once in the query and once in
the form body) is refused rather than resolved: which copy a server, a proxy or a WAF reads differs, and
that difference is what parameter-pollution attacks use (RFC 6749 §3.1 and §3.2: "Request and response
parameters MUST NOT be included more than once"). A value with a control character (C0, DEL, C1, CR/LF
included), a line or paragraph separator, a bidi or other format control, a surrogate, or U+FFFD (bytes
that were not UTF-8: a lone surrogate arrives as these) is refused too: none belongs in a `state`, `code`
or `error` (RFC 6749 Appendix A: printable ASCII), an issuer URL or a launch id, and passed on they can
split a header or a log line or hide text.
"""

import unicodedata

from smartapp.ehr.errors import LaunchRejected

# Every name an authorization request, its response or a SMART launch carries (RFC 6749 §4.1, RFC 9207,
# OpenID Connect Core §3.1.2, SMART App Launch 2.x), plus the sign-in buttons' persona (`as`).
PROTOCOL = (
    "iss",
    "launch",
    "aud",
    "state",
    "code",
    "error",
    "error_description",
    "error_uri",
    "session_state",
    "scope",
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "id_token",
    "access_token",
    "token_type",
    "expires_in",
    "as",
)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def launch_parameters(request, *, malformed: dict[str, str] | None = None) -> dict[str, str]:
    """The protocol parameters of `request` (query, and form body for a POST) as {name: its one value}.

    LaunchRejected "parameter_repeated" for a name given more than once, "parameter_malformed" (or the
    reason `malformed` names for it) for a value with a character refused above.
    """
    values = {name: _values(request, name) for name in PROTOCOL}
    if any(len(found) > 1 for found in values.values()):
        raise LaunchRejected(reason="parameter_repeated")
    single = {name: found[0] for name, found in values.items() if found}
    for name, value in single.items():
        if not is_printable(value):
            raise LaunchRejected(reason=(malformed or {}).get(name, "parameter_malformed"))
    return single


def _values(request, name: str) -> list[str]:
    found = request.GET.getlist(name)
    if request.method == "POST":
        found = found + request.POST.getlist(name)
    return found


def is_printable(value: str) -> bool:
    """True when `value` has none of the characters refused in a protocol parameter."""
    return not any(char == "\ufffd" or unicodedata.category(char) in _REFUSED_CATEGORIES for char in value)
