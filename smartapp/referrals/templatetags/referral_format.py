"""Dates and people on the coordinator's pages: `{% load referral_format %}`, then

- `{{ value|when }}`: a day, "20 Nov 2026" (a date is never shifted; an instant is first put in the zone);
- `{{ value|when_time }}`: an instant in the configured zone with its abbreviation, "5 Dec 2026, 14:03 EST";
- `{% signed_in_person launch as me %}`: who signed in (team_names.Person), named when the EHR named them.

The dates render as `<time datetime="ISO" title="...">`, or "" for None so `|default:"—"` can follow.
"""

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from smartapp.core.moments import moment_of, time_element
from smartapp.referrals import team_names

register = template.Library()


@register.filter
def when(value):
    return _time(value, with_time=False)


@register.filter
def when_time(value):
    return _time(value, with_time=True)


@register.simple_tag
def signed_in_person(launch) -> team_names.Person:
    return team_names.signed_in_person(launch)


def _time(value, *, with_time: bool):
    moment = moment_of(value, timezone.get_current_timezone())
    return mark_safe(time_element(moment, with_time=with_time))  # noqa: S308 (escaped by time_element)
