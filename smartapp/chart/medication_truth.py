"""Which of a medication's sources speak for today, and where they disagree about today.

Pure. A medication's sources form lines: the clinicians' orders, orders the patient reported (Oracle
Health's home medications), clinicians' statements and the patient's own statements. Within a line, the
newest word replaces the earlier ones: a statin re-ordered every year since 2001 has one current order
and 20 earlier ones, which are its history, never a conflict. Across lines, the newest word of all is the
medication's current state, and a conflict is only about the present: current sources that disagree now.
"""

from collections import defaultdict
from dataclasses import dataclass

# Status classes. An ENDED or PAUSED source still counts as current when it is its line's newest word,
# unless the medication is in use again since (a newer LIVE source in another line): then it is history.
# Any other status (unknown, draft, none) is unclear: current, never a conflict.
LIVE = frozenset({"active", "intended"})
PAUSED = frozenset({"on-hold", "suspended"})
ENDED = frozenset({"stopped", "completed", "cancelled", "not-taken", "entered-in-error", "ended"})
DIFFERENT_DOSE = "different dose"
# An ended status that, newer than (or undatable against) a live source, says the medicine is not taken.
CONTRADICTING = {
    "stopped": "stopped",
    "not-taken": "not taken",
    "on-hold": "on hold",
    "suspended": "on hold",
}


@dataclass(frozen=True)
class Standing:
    """What a medication's sources say about today."""

    status: str  # the newest current word's status
    current: tuple  # the sources that speak for today, newest first
    history: tuple  # earlier words, replaced by newer ones in their line, newest first
    conflicts: tuple[str, ...]
    in_use: bool  # some current source is live, paused or of unclear status: not a past medicine


def standing(sources: tuple, *, same_dose) -> Standing:
    """Split `sources` (MedicationEntry, sorted newest first, undated last) into current and history.

    A source without a date cannot be shown to be replaced, so it stays current. `same_dose(a, b)` says
    whether two sources' doses agree.
    """
    valid = [s for s in sources if s.status != "entered-in-error"]
    heads = _line_heads(valid)
    newest_live = max((s.when for s in heads if s.when and s.status in LIVE), default=None)
    current = tuple(s for s in heads if not _resumed_since(s, newest_live))
    history = tuple(s for s in sources if s not in current)
    return Standing(
        status=current[0].status if current else (sources[0].status if sources else ""),
        current=current,
        history=history,
        conflicts=_conflicts(current, same_dose),
        in_use=any(s.status not in ENDED for s in current),
    )


def history_label(history: tuple) -> str:
    """ "14 earlier orders since 2001" ("records" when statements are among them); "" for none."""
    if not history:
        return ""
    noun = "orders" if all(s.kind == "request" for s in history) else "records"
    noun = noun[:-1] if len(history) == 1 else noun
    years = [s.when.year for s in history if s.when]
    since = f" since {min(years)}" if years else ""
    return f"{len(history)} earlier {noun}{since}"


def _resumed_since(source, newest_live) -> bool:
    """An ended or paused word older than a live one in another line: the medicine is in use again."""
    stopped = source.status in ENDED or source.status in PAUSED
    return bool(stopped and source.when and newest_live and source.when < newest_live)


def _line(source) -> tuple[str, bool]:
    return source.kind, source.patient_reported


def _line_heads(sources: list) -> list:
    """Each line's newest dated sources (all of them on a tie) and its undated ones, newest first."""
    lines = defaultdict(list)
    for source in sources:
        lines[_line(source)].append(source)
    heads = set()
    for members in lines.values():
        newest = max((s.when for s in members if s.when), default=None)
        heads.update(s for s in members if s.when is None or s.when == newest)
    return [s for s in sources if s in heads]  # keeps the caller's newest-first order


def _conflicts(current: tuple, same_dose) -> tuple[str, ...]:
    conflicts = []
    taking = [s for s in current if s.status in LIVE]
    dosed = [s for s in taking if s.dosage]
    if any(not same_dose(a, b) for a in dosed for b in dosed):
        conflicts.append(DIFFERENT_DOSE)
    for status, word in CONTRADICTING.items():
        against = [s for s in current if s.status == status]
        if taking and against:
            conflicts.append(_status_message(taking, against, word))
    return tuple(dict.fromkeys(conflicts))


def _status_message(taking: list, against: list, word: str) -> str:
    if any(s.patient_reported for s in against) and any(not s.patient_reported for s in taking):
        return f"prescribed, but the patient reports it {word}"
    newer = any(a.when and t.when and a.when >= t.when for a in against for t in taking)
    return (
        f"active in one source, {word} in a newer one"
        if newer
        else f"active in one source, {word} in another"
    )
