"""HL7 v2 encoding: delimiters, escapes, timestamps and segments (HL7 v2.5.1 ch. 2, 2.7 "Use of escape
sequences in text fields"; DTM 2.A.22)."""

from datetime import UTC, date, datetime

FIELD, COMPONENT, REPETITION, ESCAPE, SUBCOMPONENT = "|", "^", "~", "\\", "&"
ENCODING_CHARACTERS = COMPONENT + REPETITION + ESCAPE + SUBCOMPONENT
SEGMENT_END = "\r"
# The escape character first, so that the escapes written for the others are not escaped again.
_ESCAPES = (
    (ESCAPE, "\\E\\"),
    (FIELD, "\\F\\"),
    (COMPONENT, "\\S\\"),
    (SUBCOMPONENT, "\\T\\"),
    (REPETITION, "\\R\\"),
    ("\r", "\\X0D\\"),
    ("\n", "\\X0A\\"),
)


def escape(text: str) -> str:
    """`text` with every v2 delimiter written as its escape sequence."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def components(*parts: str) -> str:
    """One field of several components, each escaped; trailing empty components left out."""
    return COMPONENT.join(escape(part or "") for part in parts).rstrip(COMPONENT)


def repeated(values: list[str]) -> str:
    """Field repetitions (each already built with `components`)."""
    return REPETITION.join(values)


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment from {field number: encoded value}; fields not given are empty, trailing ones left out.

    MSH starts at MSH-2: MSH-1 is the field separator that follows the segment name.
    """
    first, last = (2 if name == "MSH" else 1), max(fields, default=0)
    return FIELD.join([name, *(fields.get(number, "") for number in range(first, last + 1))]).rstrip(FIELD)


def timestamp(moment: datetime) -> str:
    """A DTM with seconds and the UTC offset: 20240501143000+0000."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def day(value: date) -> str:
    """A DT: 19700131."""
    return value.strftime("%Y%m%d")
