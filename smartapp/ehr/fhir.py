"""EhrClient: the FHIR API of one EHR, read with one access token, over the guarded outgoing session.

Every request: only to the FHIR base (SECURITY.md R12), `Accept: application/fhir+json`, the session's
timeouts, GET retries and egress guard, no redirects, a bounded body, and errors mapped to the typed ones
of smartapp.ehr.errors. Results are raw FHIR JSON dicts: vendor data that fhirclient's strict models
refuse (#63, #50) must still be readable; `as_model` offers a model when one can be built.

fhirclient reads whole bodies with no timeout (server.py `_get`), so requests are sent here and
`fhir_server()` hands fhirclient a server whose reads come back through this client.
"""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import import_module
from urllib.parse import urljoin, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables
from fhirclient.server import FHIRServer

from smartapp.core.http import EgressRefused
from smartapp.ehr import bounded_json, configs
from smartapp.ehr.binary import BinaryContent, binary_content, binary_url
from smartapp.ehr.bundles import (
    MAX_PAGE_ENTRIES,
    EntrySorter,
    SearchPage,
    SearchResult,
    combined,
    last_updated,
    require_bundle,
)
from smartapp.ehr.errors import (
    EhrAuthExpired,
    EhrBadResponse,
    EhrError,
    EhrForbidden,
    EhrUnavailable,
)
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.paging import PageWalk, is_under_base
from smartapp.ehr.session import ehr_session

__all__ = ["BinaryContent", "EhrClient", "SearchPage", "SearchResult", "as_model"]

FHIR_JSON = "application/fhir+json"
MAX_RETRY_AFTER = 900.0  # seconds; a worker's countdown cap (SECURITY.md 5.2)
_CHUNK = 64 * 1024
_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


def _default_session() -> requests.Session:
    return ehr_session()


@dataclass(frozen=True)
class _Fetched:
    status: int
    content_type: str = ""
    content: bytes = b""  # read only for a 2xx answer
    retry_after: str | None = None

    def json(self) -> dict:
        """The body as a FHIR resource (an object with a resourceType); EhrBadResponse otherwise."""
        if "html" in self.content_type.lower():
            raise EhrBadResponse()
        body = bounded_json.loads(self.content)  # size and nesting bounded: hostile JSON is refused
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise EhrBadResponse()
        return body


class EhrClient:
    """Reads one EHR's FHIR API with one access token. Safe to share between threads."""

    @sensitive_variables("access_token")
    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        session: requests.Session | None = None,
        max_pages: int = 50,
        max_bytes: int = 20_000_000,
        max_entries: int = MAX_PAGE_ENTRIES,
        on_request=None,
        renew_token: Callable[[str], str] | None = None,
    ):
        canonical = configs.canonical_issuer(base_url)
        if canonical is None:
            raise ValueError("base_url must be an https URL (http only on loopback) without query")
        self.base_url = canonical
        self._access_token = access_token
        self._session = session or _default_session()
        self.max_pages = max_pages
        self.max_bytes = max_bytes  # per response body, Bundle page or Binary: refused while streaming
        self.max_entries = max_entries  # per Bundle page: refused before its entries are sorted
        self._on_request = on_request  # on_request(resource_type, kind, status): for audit, never bodies
        # renew_token(stale token) -> a new token, asked once after a 401 (a system token can be re-minted, a
        # launch's refreshed): by one thread for all of this client's threads that were refused that token
        self._renew_token = renew_token
        self._renew_lock = threading.Lock()
        self._renew_failed = False
        self._lock = threading.Lock()
        self._requests = 0

    def __repr__(self) -> str:
        return f"<EhrClient {self.base_url}>"

    @property
    def request_count(self) -> int:
        """HTTP requests this client has made so far (retries included)."""
        with self._lock:
            return self._requests

    def read(self, resource_type: str, resource_id: str) -> dict:
        """GET [base]/[type]/[id] as a raw FHIR JSON dict of that type."""
        _require_type(resource_type)
        if not is_fhir_id(resource_id):
            raise EhrBadResponse("The EHR has no such record.")
        url = f"{self.base_url}/{resource_type}/{resource_id}"
        fetched, _ = self._get(url, resource_type=resource_type, kind="read")
        resource = fetched.json()
        if resource["resourceType"] != resource_type:
            raise EhrBadResponse()
        return resource

    def search(
        self, resource_type: str, params: dict | list[tuple], *, max_pages: int | None = None
    ) -> SearchResult:
        """GET [base]/[type]?params and every `next` page that stays on the base.

        Any failed page raises (a typed EhrError): partial results are never passed off as the whole.
        `truncated` reports deliberate stops: the page cap, a `next` link off the base, a paging cycle.
        """
        return combined(self.search_pages(resource_type, params, max_pages=max_pages))

    def search_pages(
        self,
        resource_type: str,
        params: dict | list[tuple] | None = None,
        *,
        resume: str | None = None,
        max_pages: int | None = None,
    ) -> Iterator[SearchPage]:
        """Yield each page of GET [base]/[type]?params, or of the walk that continues at `resume`.

        A page is yielded as soon as it is read, so a caller can store it before the next is asked for.
        `resume` is a `next_url` of an earlier page (only on the FHIR base). A failed page raises; an
        EhrUnavailable then carries `resume_url`, the URL to resume at (None when the first page failed).
        """
        _require_type(resource_type)
        if (params is None) == (resume is None):
            raise ValueError("give either params or resume")
        walk = PageWalk(base_url=self.base_url, max_pages=max_pages or self.max_pages)
        url, query = f"{self.base_url}/{resource_type}", params
        if resume is not None:
            url, query = walk.resume_at(resume), None
        while url is not None:
            try:
                fetched, attempts = self._get(url, params=query, resource_type=resource_type, kind="search")
            except EhrUnavailable as error:
                error.resume_url = url if query is None else None
                raise
            sorter = EntrySorter(resource_type)
            bundle = require_bundle(fetched.json(), max_entries=self.max_entries)
            sorter.add_page(bundle)
            url, query = walk.follow(bundle), None
            page = sorter.page(number=walk.pages, next_url=url, truncated=walk.truncated, requests=attempts)
            yield replace(page, server_time=last_updated(bundle))

    def binary(self, reference: str, *, accept: str) -> BinaryContent:
        """The content of `reference` ("Binary/123" or an absolute URL on the base), asked as `accept`."""
        url = binary_url(reference, self.base_url)
        fetched, _ = self._get(url, accept=accept, resource_type="Binary", kind="binary")
        return binary_content(fetched.content_type, fetched.content)

    @contextmanager
    def exchange(
        self, url: str, *, method: str = "GET", params=None, headers=None, token: bool = True, kind: str
    ) -> Iterator[requests.Response]:
        """One request to `url` (on the FHIR base); yields the streamed answer, whatever its status.

        For what is not a read or search: Bulk Data kick-off, status, file and DELETE (ehr/bulk_export.py).
        `headers` are added to the Authorization (unless `token` is False); a 401 renews the token once, as
        for any read. Transport failures raise the typed errors, also while the caller reads the body.
        """
        if not is_under_base(url, self.base_url):
            raise EhrBadResponse()  # never send the token off the FHIR base (SECURITY.md R12)
        status = 0
        try:
            with _transport_errors():
                stale = self._access_token if token else ""
                response = self._open(method, url, params, headers, stale)
                if response.status_code == 401 and token and self._renew_token is not None:
                    response.close()
                    response = self._open(method, url, params, headers, self._fresh_token(stale))
                status = response.status_code
                with response:
                    yield response
        finally:
            if self._on_request is not None:
                self._on_request("Bulk", kind, status)

    @sensitive_variables("token", "sent")
    def _open(self, method: str, url: str, params, headers, token: str) -> requests.Response:
        sent = {"Accept": FHIR_JSON, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        response = self._session.request(
            method, url, params=params, headers=sent, stream=True, allow_redirects=False
        )
        with self._lock:
            self._requests += _attempts(response)
        return response

    def fhir_server(self) -> FHIRServer:
        """A fhirclient FHIRServer reading through this client, for `Patient.read(id, server)` and kin."""
        return _ClientServer(self)

    def _get(self, url: str, *, params=None, accept: str = FHIR_JSON, resource_type: str, kind: str):
        """One GET (with the session's retries) -> (_Fetched, HTTP requests made); typed errors."""
        if not is_under_base(url, self.base_url):
            raise EhrBadResponse()  # never send the token off the FHIR base
        status = 0  # for the hook: no usable answer
        try:
            token = self._access_token
            fetched, attempts = self._send(url, params, accept, token)
            status = fetched.status
            if fetched.status == 401 and self._renew_token is not None:
                fetched, attempts = self._send_renewed(url, params, accept, attempts, stale=token)
                status = fetched.status  # a second 401 is final: EhrAuthExpired, the user launches again
        finally:
            if self._on_request is not None:
                self._on_request(resource_type, kind, status)
        raise_for_status(fetched.status, fetched.retry_after)
        return fetched, attempts

    @sensitive_variables("stale", "token")
    def _send_renewed(
        self, url: str, params, accept: str, attempts: int, *, stale: str
    ) -> tuple[_Fetched, int]:
        """A 401 to a client that can get a new token (expired or revoked early): one new token, one more try.

        Single-flight inside the client: the first thread refused `stale` renews it; threads refused the same
        token meanwhile wait and use the new one. Once a renewal failed, the others are not renewed again.
        """
        fetched, more = self._send(url, params, accept, self._fresh_token(stale))
        return fetched, attempts + more

    @sensitive_variables("stale")
    def _fresh_token(self, stale: str) -> str:
        """The token to use after `stale` was refused: renewed by the first thread refused it."""
        with self._renew_lock:
            if self._access_token == stale:
                if self._renew_failed:
                    raise EhrAuthExpired()
                try:
                    self._access_token = self._renew_token(stale)
                except EhrError:
                    self._renew_failed = True
                    raise
            return self._access_token

    @sensitive_variables("headers", "token")
    def _send(self, url: str, params, accept: str, token: str) -> tuple[_Fetched, int]:
        headers = {"Accept": accept, "Authorization": f"Bearer {token}"}
        attempts = 1
        try:
            with (
                _transport_errors(),
                self._session.get(
                    url, params=params, headers=headers, stream=True, allow_redirects=False
                ) as response,
            ):
                attempts = _attempts(response)
                return _fetched(response, self.max_bytes), attempts
        finally:
            with self._lock:
                self._requests += attempts


@contextmanager
def _transport_errors():
    """requests' failures as the typed errors (`from None`: requests' messages carry the URL and query)."""
    try:
        yield
    except EgressRefused:
        raise EhrError("smartapp may not send requests to this EHR address.") from None
    except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        raise EhrUnavailable() from None
    except requests.RequestException:
        raise EhrBadResponse() from None


def _require_type(resource_type: str) -> None:
    if not isinstance(resource_type, str) or not _TYPE.fullmatch(resource_type):
        raise ValueError("not a FHIR resource type name")


def _attempts(response: requests.Response) -> int:
    """Requests on the wire for this response: urllib3 keeps the retried ones in its history."""
    retries = getattr(response.raw, "retries", None)
    return 1 + len(getattr(retries, "history", ()) or ())


def _fetched(response: requests.Response, max_bytes: int) -> _Fetched:
    status = response.status_code
    if not 200 <= status < 300:
        return _Fetched(status, retry_after=response.headers.get("Retry-After"))
    content = read_bounded(response, max_bytes)
    return _Fetched(status, response.headers.get("Content-Type", ""), content)


def raise_for_status(status: int, retry_after: str | None = None) -> None:
    """The typed error of a non-2xx answer (its Retry-After header capped, for EhrUnavailable)."""
    if 200 <= status < 300:
        return
    if status == 401:
        raise EhrAuthExpired()
    if status == 403:
        raise EhrForbidden()
    if status == 404:
        raise EhrBadResponse("The EHR has no such record.")
    if status == 429 or status >= 500:
        raise EhrUnavailable(retry_after=retry_after_seconds(retry_after))
    raise EhrBadResponse()  # 3xx (redirects are not followed: the token would go along) and other 4xx


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After (seconds or an HTTP date, RFC 9110 §10.2.3) capped at MAX_RETRY_AFTER."""
    if not value:
        return None
    try:
        seconds = float(value) if value.strip().isdigit() else _until(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _until(moment: datetime) -> float:
    return (moment - datetime.now(UTC)).total_seconds()


def read_bounded(response: requests.Response, max_bytes: int) -> bytes:
    """The (decompressed) body, refused once it passes `max_bytes`: nothing caps a Bundle or Binary."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise EhrBadResponse()
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise EhrBadResponse()
        chunks.append(chunk)
    return b"".join(chunks)


def as_model(resource: dict):
    """The fhirclient model of a raw resource (lenient: strict=False), or None if none can be built."""
    resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(resource_type, str) or not _TYPE.fullmatch(resource_type):
        return None
    try:
        model = getattr(import_module(f"fhirclient.models.{resource_type.lower()}"), resource_type)
        return model(resource, strict=False)
    except Exception:  # vendor data can break the models in many ways; the raw dict stays usable
        return None


class _ClientServer(FHIRServer):
    """fhirclient's server whose GETs go through an EhrClient: same base rule, bounds, errors, token."""

    def __init__(self, client: EhrClient):
        super().__init__(None, base_uri=client.base_url)
        self.session = client._session  # code reaching for fhirclient's session gets the guarded one
        self._client = client

    def _get(self, path, headers=None, nosign=False):
        url = urljoin(self.base_uri, path)
        relative = urlsplit(url).path[len(urlsplit(self._client.base_url).path) :].strip("/")
        segments = relative.split("/")
        kind = "read" if len(segments) >= 2 else "search"
        fetched, _ = self._client._get(url, resource_type=segments[0], kind=kind)
        return fetched  # fhirclient calls .json() (which refuses HTML and non-resources) or .content

    def _read_only(self, *args, **kwargs):
        raise NotImplementedError("smartapp reads from the EHR only")

    put_json = post_json = delete_json = post_as_form = _read_only
