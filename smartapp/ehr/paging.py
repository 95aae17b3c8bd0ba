"""Safe paging of FHIR search results: which `next` links smartapp follows with its token.

SMART App Launch says an app SHOULD NOT send its access token to a foreign resource server; a `next`
link is server-built and opaque, so it is followed only when it stays on the FHIR base (SECURITY.md R12).
fhirclient's own check (`_sanitize_next_link`) accepts any host, so paging does not go through it.
"""

from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_under_base(url: str, base_url: str) -> bool:
    """True when `url` has the base's scheme, host and port and a path at or under the base path."""
    if not isinstance(url, str) or any(ch.isspace() or ord(ch) < 32 for ch in url) or "\\" in url:
        return False  # urlsplit silently drops tabs and newlines; what it parses must be what is sent
    try:
        target, base = urlsplit(url), urlsplit(base_url)
        target_origin, base_origin = _origin(target), _origin(base)
    except ValueError:
        return False
    if target.username or target.password or target_origin != base_origin:
        return False
    if any(segment in (".", "..") for segment in unquote(target.path).split("/")):
        return False  # "base/../admin" is under the base only as text
    base_path = base.path.rstrip("/")
    return target.path == base_path or target.path.startswith(f"{base_path}/")


def _origin(parts) -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    return scheme, parts.hostname or "", parts.port or _DEFAULT_PORTS.get(scheme)


def next_link(bundle: dict) -> str | None:
    """The Bundle's `link[relation=next]` URL, or None when there is no further page."""
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


class PageWalk:
    """Decides, page after page, whether to follow a search's `next` link.

    Stops (and marks the result truncated) at the page cap, on a link off the FHIR base (the token is
    not sent there), and on a link seen before (a cycle). `_count` is a page size, not a limit
    (client-py #190), so only the cap bounds the number of pages.
    """

    def __init__(self, *, base_url: str, max_pages: int):
        self.base_url = base_url
        self.max_pages = max_pages
        self.pages = 0
        self.truncated = False
        self._seen: set[str] = set()

    def resume_at(self, url: str) -> str:
        """Start the walk at `url`, a `next` link read earlier; ValueError unless it is on the FHIR base."""
        if not is_under_base(url, self.base_url):
            raise ValueError("a search resumes only at a next link on the FHIR base")
        self._seen.add(url)
        return url

    def follow(self, bundle: dict) -> str | None:
        """Count one page read; return the next URL to fetch, or None to stop."""
        self.pages += 1
        url = next_link(bundle)
        if url is None:
            return None
        if self.pages >= self.max_pages or url in self._seen or not is_under_base(url, self.base_url):
            self.truncated = True
            return None
        self._seen.add(url)
        return url
