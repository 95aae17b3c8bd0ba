"""Dates on chart pages: `{% load chart_format %}` then `{{ value|when }}` or `{{ value|when_time }}`.

Both render `<time datetime="ISO" title="7 May 2020, 14:00 UTC">7 May 2020</time>` in the configured
time zone (settings.TIME_ZONE), or "" for a missing or unreadable value so `|default:"—"` can follow.
"""

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from smartapp.chart.moments import readable_date
from smartapp.core import moments

register = template.Library()


@register.filter
def when(value):
    """The day ("7 May 2020"); the full instant on hover."""
    return _time(value, with_time=False)


@register.filter
def when_time(value):
    """The day and, when the value has one, the time ("7 May 2020, 14:00 UTC")."""
    return _time(value, with_time=True)


def _time(value, *, with_time: bool):
    return mark_safe(time_element(value, timezone.get_current_timezone(), with_time=with_time))  # noqa: S308


def time_element(value, zone, *, with_time: bool = False) -> str:
    """The escaped `<time>` markup of `value` in `zone`, or "" (shared by the filters that build HTML in
    Python, such as chart_medications.source_items)."""
    return moments.time_element(readable_date(value, zone), with_time=with_time)
