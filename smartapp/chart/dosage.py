"""One FHIR R4 Dosage as a plain line (https://hl7.org/fhir/R4/dosage.html).

The prescriber's own words (`text`, else `patientInstruction`) are shown when present; otherwise the
structured parts are spelled out: "2 tablets, oral route, twice a day after meals, as needed for pain,
max 8 tablets per day". Pure and tolerant: a piece that is missing or malformed is left out, never guessed.
"""

import math
import re
from decimal import Decimal

from smartapp.chart import coding
from smartapp.chart.coding import SHORT_LIMIT, TEXT_LIMIT

MAX_NUMBER = 1e9  # a dose or period beyond this is garbage, not a quantity
# UCUM units of time (Timing.repeat.periodUnit and Quantity codes), singular.
TIME_UNITS = {
    "s": "second",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "a": "year",
}
# Units that count things, so "2 tablet" reads "2 tablets"; "2 mg" is never pluralized.
COUNTABLE = frozenset(
    {"tablet", "capsule", "puff", "drop", "patch", "spray", "unit", "application", "suppository", "lozenge"}
    | set(TIME_UNITS.values())
)
# Timing.code (v3 GTSAbbreviation) in plain words; an unknown code falls back to its text or display.
TIMING_CODES = {
    "QD": "once a day",
    "BID": "twice a day",
    "TID": "three times a day",
    "QID": "four times a day",
    "QOD": "every other day",
    "AM": "every morning",
    "PM": "every afternoon",
    "BED": "at bedtime",
    "WK": "once a week",
    "MO": "once a month",
    **{f"Q{n}H": f"every {n} hours" for n in (2, 3, 4, 6, 8)},
    "Q1H": "every hour",
}
# Timing.repeat.when (event-timing): when in the day the dose is taken.
WHEN = {
    "MORN": "in the morning",
    "AFT": "in the afternoon",
    "EVE": "in the evening",
    "NIGHT": "at night",
    "HS": "at bedtime",
    "WAKE": "on waking",
    "C": "with meals",
    "CM": "with breakfast",
    "CD": "with lunch",
    "CV": "with dinner",
    "AC": "before meals",
    "ACM": "before breakfast",
    "ACD": "before lunch",
    "ACV": "before dinner",
    "PC": "after meals",
    "PCM": "after breakfast",
    "PCD": "after lunch",
    "PCV": "after dinner",
}
_TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times"}
_NUMBER = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
_SEMANTIC_TAG = re.compile(r"\s*\((qualifier value|finding|disorder)\)$")


def dosage_line(dosage) -> str:
    """What one Dosage says: its text, else its patient instruction, else its structured parts spelled out."""
    if not isinstance(dosage, dict):
        return ""
    written = (coding.text(dosage.get(key), TEXT_LIMIT) for key in ("text", "patientInstruction"))
    return next((words for words in written if words), "") or spelled_out(dosage)


def spelled_out(dosage) -> str:
    """The structured parts of a Dosage as a phrase; "" when it has none that can be read."""
    if not isinstance(dosage, dict):
        return ""
    parts = (_dose(dosage), _route(dosage), _how_often(dosage), _bounds(_repeat(dosage)))
    parts += (_as_needed(dosage), _max_dose(dosage))
    return ", ".join(part for part in parts if part)[:TEXT_LIMIT]


def structured_key(dosage) -> str:
    """What the structure says of the dose itself (amount, how often, as needed), when it states both an
    amount and a frequency; else "".

    Two sources with equal keys give the same dose however differently their texts are worded. Route,
    dates and maximum are left out: a patient's statement rarely repeats them, and they are not the dose.
    Partial structure (an amount alone, say) is no basis for this: the text may hold the rest.
    """
    if not isinstance(dosage, dict) or not (_dose(dosage) and _frequency(dosage)):
        return ""
    parts = (_dose(dosage), _how_often(dosage), _as_needed(dosage))
    return coding.normalized(", ".join(part for part in parts if part))


def _dose(dosage: dict) -> str:
    # STU3 put doseQuantity/doseRange on the Dosage itself; some vendors still do.
    for holder in [*_dicts(dosage.get("doseAndRate")), dosage]:
        if spelled := _quantity(holder.get("doseQuantity")) or _range(holder.get("doseRange")):
            return spelled
    return ""


def _route(dosage: dict) -> str:
    return _mid_sentence(_SEMANTIC_TAG.sub("", coding.display(dosage.get("route"))))


def _how_often(dosage: dict) -> str:
    """ "twice a day after meals": the frequency, then when in the day."""
    # A Timing code is a complete statement of the timing (R4 Timing.code): its repeat is not added to it.
    when = "" if _code_phrase(_timing(dosage)) else _when(_repeat(dosage).get("when"))
    return " ".join(part for part in (_frequency(dosage), when) if part)


def _frequency(dosage: dict) -> str:
    return _code_phrase(_timing(dosage)) or _repeat_phrase(_repeat(dosage))


def _timing(dosage: dict) -> dict:
    return dosage["timing"] if isinstance(dosage.get("timing"), dict) else {}


def _repeat(dosage: dict) -> dict:
    timing = _timing(dosage)
    return timing["repeat"] if isinstance(timing.get("repeat"), dict) else {}


def _code_phrase(timing: dict) -> str:
    code = timing.get("code") if isinstance(timing.get("code"), dict) else {}
    known = next((TIMING_CODES[c] for c in _codes(code) if c in TIMING_CODES), "")
    return _mid_sentence(coding.text(code.get("text")) or known or coding.display(code))


def _repeat_phrase(repeat: dict) -> str:
    """ "twice a day", "every 8 hours", "once a week", "1 to 2 times every 4 to 6 hours"."""
    unit, period = _lookup(TIME_UNITS, repeat.get("periodUnit")), _number(repeat.get("period"))
    frequency = 1 if repeat.get("frequency") is None else _number(repeat.get("frequency"))
    times = _times(frequency, _number(repeat.get("frequencyMax")))
    if not unit or not period or not times:
        return ""
    period_max = _number(repeat.get("periodMax"))
    if period_max is not None and period_max > period:
        span = f"{_plain(period)} to {_plain(period_max)} {unit}s"
    elif period == 1:
        every = times == "once" and unit in ("hour", "minute", "second")
        return f"every {unit}" if every else f"{times} {'an' if unit == 'hour' else 'a'} {unit}"
    else:
        span = f"{_plain(period)} {unit}s"
    return f"every {span}" if times == "once" else f"{times} every {span}"


def _times(frequency, frequency_max) -> str:
    if frequency is None or frequency <= 0 or frequency != int(frequency):
        return ""
    if frequency_max is not None and frequency_max > frequency and frequency_max == int(frequency_max):
        return f"{_plain(frequency)} to {_plain(frequency_max)} times"
    return _TIMES.get(int(frequency), f"{_plain(frequency)} times")


def _when(codes) -> str:
    return " and ".join(dict.fromkeys(WHEN[c] for c in _strings(codes) if c in WHEN))


def _bounds(repeat: dict) -> str:
    period = repeat.get("boundsPeriod") if isinstance(repeat.get("boundsPeriod"), dict) else {}
    start, end = _day(period.get("start")), _day(period.get("end"))
    if start or end:
        return f"from {start} to {end}" if start and end else (f"from {start}" if start else f"until {end}")
    duration = _quantity(repeat.get("boundsDuration"))
    return f"for {duration}" if duration else ""


def _as_needed(dosage: dict) -> str:
    reason = _mid_sentence(_SEMANTIC_TAG.sub("", coding.display(dosage.get("asNeededCodeableConcept"))))
    if reason:
        return f"as needed for {reason}"
    return "as needed" if dosage.get("asNeededBoolean") is True else ""


def _max_dose(dosage: dict) -> str:
    ratio = dosage.get("maxDosePerPeriod") if isinstance(dosage.get("maxDosePerPeriod"), dict) else {}
    most, per = _quantity(ratio.get("numerator")), _per(ratio.get("denominator"))
    return f"max {most} {per}" if most and per else ""


def _per(quantity) -> str:
    """A Ratio's denominator as "per day" or "per 24 hours"."""
    if not isinstance(quantity, dict):
        return ""
    if _number(quantity.get("value"), default=1) == 1 and (unit := _time_unit(quantity)):
        return f"per {unit}"
    spelled = _quantity(quantity)
    return f"per {spelled}" if spelled else ""


def _range(value) -> str:
    """A Range as "1 to 2 tablets", "at least 1 tablet" or "up to 2 tablets"."""
    low, high = (value.get(end) if isinstance(value, dict) else None for end in ("low", "high"))
    low_text, high_text = _quantity(low), _quantity(high)
    if low_text and high_text:
        same_unit = _unit(low) == _unit(high)
        return f"{_plain(_number(low['value'])) if same_unit else low_text} to {high_text}"
    return f"at least {low_text}" if low_text else (f"up to {high_text}" if high_text else "")


def _quantity(value) -> str:
    """A Quantity as "2 tablets" or "500 mg"; "" without a usable (positive) number."""
    number = _number(value.get("value")) if isinstance(value, dict) else None
    if not number:
        return ""
    unit = _time_unit(value) or _unit(value)
    plural = unit in COUNTABLE and number != 1
    return f"{_plain(number)} {unit}{'s' if plural else ''}".strip()


def _unit(quantity: dict) -> str:
    """The unit as written, else the code; a UCUM annotation such as "{tablet}" loses its braces."""
    unit = coding.text(quantity.get("unit"), SHORT_LIMIT) or coding.text(quantity.get("code"), SHORT_LIMIT)
    return unit.strip("{}").strip()


def _time_unit(quantity: dict) -> str:
    return _lookup(TIME_UNITS, quantity.get("code")) or _lookup(TIME_UNITS, quantity.get("unit"))


def _lookup(table: dict[str, str], key) -> str:
    return table.get(key, "") if isinstance(key, str) else ""  # a list or dict key would not even hash


def _number(value, default=None):
    """A finite, non-negative number from a JSON number or a numeric string; `default` for anything else."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return default
    return value if math.isfinite(value) and 0 <= value < MAX_NUMBER else default


def _plain(number) -> str:
    """2 -> "2", 2.0 -> "2", 0.50 -> "0.5"; never an exponent."""
    return format(Decimal(str(number)).normalize(), "f")


def _day(value) -> str:
    return coding.text(value, SHORT_LIMIT)[:10]


def _mid_sentence(phrase: str) -> str:
    """ "Oral route" -> "oral route" inside a line; an acronym ("IV") keeps its capitals."""
    return phrase[:1].lower() + phrase[1:] if phrase[1:2].islower() else phrase


def _codes(concept: dict) -> list[str]:
    return [c["code"] for c in coding.codings(concept) if isinstance(c.get("code"), str)]


def _strings(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
