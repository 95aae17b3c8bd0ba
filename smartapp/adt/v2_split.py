"""Splitting v2 fields straight from a segment's text: what quick_read.py reads for the listener, and the
MSH both parsers read (one builder, so the listener's Header and the full parse's are the same by
construction). python-hl7 splits a field by repetition, then component, then subcomponent, ignoring
escapes, which is what this does; values are unescaped and stripped, "" where absent.
"""

from smartapp.adt.contents import Header, PatientIdentifier
from smartapp.adt.v2_text import Delimiters, unescape
from smartapp.adt.v2_time import parse_dtm


class FieldSplit:
    """Leaf values by HL7 position, unescaped and stripped, "" where absent (parse._Fields' rules)."""

    def __init__(self, delimiters: Delimiters, codec: str):
        self.delimiters, self.codec = delimiters, codec

    def fields(self, line: str) -> list[str]:
        """A segment's fields, the id first ([] for a segment the message does not have)."""
        return line.split(self.delimiters.field) if line else []

    def header(self, msh: str) -> Header:
        """The Header of an MSH line."""
        separator = self.delimiters.field
        fields = msh.split(separator)
        fields.insert(1, separator)  # MSH-1 is the separator itself: MSH-n is then fields[n]
        value = self.value
        return Header(
            field_separator=separator,
            encoding_characters=fields[2],
            sending_application=value(fields, 3),
            sending_facility=value(fields, 4),
            receiving_application=value(fields, 5),
            receiving_facility=value(fields, 6),
            message_time=parse_dtm(value(fields, 7)),
            message_type=value(fields, 9, 1),
            trigger_event=value(fields, 9, 2),
            control_id=value(fields, 10),
            processing_id=value(fields, 11),
            version=value(fields, 12),
            accept_ack=value(fields, 15),
            app_ack=value(fields, 16),
            charset=value(fields, 18),
        )

    def value(self, fields: list[str], field: int, component: int = 1, *, repetition: int = 1) -> str:
        """SEG-field.component (subcomponent 1) of one repetition."""
        return self._unescaped(self._leaf(fields, field, repetition, component, 1))

    def identifiers(self, pid: list[str]) -> tuple[PatientIdentifier, ...]:
        """PID-3's repetitions that have a CX-1, with CX-4 (namespace id, else universal id) and CX-5."""
        if len(pid) <= 3:
            return ()
        found = []
        for cx in pid[3].split(self.delimiters.repetition):
            components = cx.split(self.delimiters.component)
            value = self._unescaped(self._sub(components, 1, 1))
            authority = self._unescaped(self._sub(components, 4, 1)) or self._unescaped(
                self._sub(components, 4, 2)
            )
            type_code = self._unescaped(self._sub(components, 5, 1))
            if value:
                found.append(PatientIdentifier(value, authority, type_code))
        return tuple(found)

    def _leaf(self, fields: list[str], field: int, repetition: int, component: int, sub: int) -> str:
        if field >= len(fields):
            return ""
        repetitions = fields[field].split(self.delimiters.repetition)
        if repetition > len(repetitions):
            return ""
        return self._sub(repetitions[repetition - 1].split(self.delimiters.component), component, sub)

    def _sub(self, components: list[str], component: int, sub: int) -> str:
        if component > len(components):
            return ""
        subcomponents = components[component - 1].split(self.delimiters.subcomponent)
        return subcomponents[sub - 1] if sub <= len(subcomponents) else ""

    def _unescaped(self, text: str) -> str:
        return unescape(text, self.delimiters, self.codec).strip()
