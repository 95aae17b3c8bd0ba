"""Links of the worklist page: state tabs, sortable columns and pages keep the other filters."""

from dataclasses import dataclass
from urllib.parse import urlencode

from .models import BEFORE_TRACKING
from .state import WORKLIST_RANK
from .worklist import STATE_LABELS

SORTABLE = {
    "due": "Due date",
    "authored": "Referred",
    "evidence": "Last evidence",
    "specialty": "Specialty",
    "action": "Next action",
}
_SHOWN = {
    "": "open referrals",
    "snoozed": "snoozed referrals",
    "closed": "closed referrals",
    "all": "referrals",
}
_OWNED = {"mine": ", assigned to you", "unassigned": ", unassigned"}


@dataclass(frozen=True)
class Tab:
    label: str
    count: int
    url: str
    current: bool


@dataclass(frozen=True)
class SortLink:
    label: str
    url: str
    aria_sort: str  # "ascending" | "descending" | "" (not sorted by this column)


def query_string(chosen: dict[str, str], **changes) -> str:
    """The filters `chosen` with `changes` applied (None removes one), as a query string, in a stable
    order. Only codes and references: never a patient's name."""
    values = {**chosen, **changes}
    return urlencode(sorted((k, v) for k, v in values.items() if v not in (None, "")))


def state_tabs(chosen: dict[str, str], counts: dict[str, int]) -> list[Tab]:
    """ "All", then one tab per state in worklist order (overdue and no-show first)."""
    tabs = [Tab("All", sum(counts.values()), "?" + query_string(chosen, state=None), not chosen.get("state"))]
    for state in sorted(WORKLIST_RANK, key=WORKLIST_RANK.get):
        url = "?" + query_string(chosen, state=state)
        tabs.append(
            Tab(STATE_LABELS.get(state, state), counts.get(state, 0), url, chosen.get("state") == state)
        )
    return tabs


def sort_links(chosen: dict[str, str]) -> dict[str, SortLink]:
    """Per sortable column: a link that sorts by it ascending, or descending when it is already ascending."""
    current = chosen.get("sort", "due")
    links = {}
    for column, label in SORTABLE.items():
        aria = {column: "ascending", f"-{column}": "descending"}.get(current, "")
        target = f"-{column}" if aria == "ascending" else column
        links[column] = SortLink(label, "?" + query_string(chosen, sort=target), aria)
    return links


def page_links(chosen: dict[str, str], page) -> dict[str, str]:
    """First, previous, next and last page links of a Django Page (only those that lead somewhere)."""
    links = {}
    if page.has_previous():
        links |= {"first": 1, "previous": page.previous_page_number()}
    if page.has_next():
        links |= {"next": page.next_page_number(), "last": page.paginator.num_pages}
    return {name: "?" + query_string(chosen, page=str(number)) for name, number in links.items()}


def list_heading(chosen: dict[str, str]) -> str:
    """What the list holds, in words: "Overdue open referrals, assigned to you"."""
    state = STATE_LABELS.get(chosen.get("state", ""), "All")
    show = chosen.get("show", "")
    if show == BEFORE_TRACKING:
        words = f"{state} referrals closed before tracking began"
    else:
        words = f"{state} {_SHOWN.get(show, _SHOWN[''])}"
    owner = chosen.get("owner", "")
    return words + _OWNED.get(owner, ", of one coordinator" if owner.isdigit() else "")
