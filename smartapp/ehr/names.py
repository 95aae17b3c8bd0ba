"""A FHIR HumanName list as a person reads it, over untrusted vendor JSON: never raises, always bounded."""

from smartapp.core.display_text import NAME_LIMIT, text

# Credentials that already say "doctor": "Dr. Ada Heart, MD" reads as "Ada Heart, MD".
_DOCTORAL = frozenset({"md", "do", "phd", "dds", "dmd", "dpm", "dnp", "pharmd", "psyd", "mbbs", "od", "dc"})
_DOCTOR_PREFIXES = frozenset({"dr", "dr."})


def human_name(names, limit: int = NAME_LIMIT) -> str:
    """A HumanName list as a person reads it: the official name, else the first usable one; its `text`,
    else prefix, given and family names with suffixes after a comma ("Ada Heart, MD"). "" when none."""
    candidates = [n for n in (names if isinstance(names, list) else [names]) if isinstance(n, dict)]
    ordered = sorted(candidates, key=lambda name: name.get("use") != "official")  # stable: else list order
    return next((spelled for spelled in map(_one_name, ordered) if spelled), "")[:limit]


def _one_name(name: dict) -> str:
    if text(name.get("text")):
        return text(name.get("text"))
    given, family = _strings(name.get("given")), _strings(name.get("family"))  # family: a list in DSTU2
    if not given and not family:
        return ""  # a prefix or suffix alone names nobody
    prefixes, suffixes = _strings(name.get("prefix")), _strings(name.get("suffix"))
    if any(s.casefold().replace(".", "") in _DOCTORAL for s in suffixes):
        prefixes = [p for p in prefixes if p.casefold() not in _DOCTOR_PREFIXES]
    spelled = " ".join([*prefixes, *given, *family])
    return ", ".join([spelled, *suffixes])


def _strings(value) -> list[str]:
    """The non-blank strings of a string-or-list element (vendors send either)."""
    values = value if isinstance(value, list) else [value]
    return [text(v) for v in values[:10] if text(v)]
