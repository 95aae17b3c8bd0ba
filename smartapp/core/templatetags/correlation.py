"""{% correlation_id %}: the current request's id, for pages rendered without a request (error pages)."""

from django import template

from smartapp.core import correlation

register = template.Library()


@register.simple_tag
def correlation_id() -> str:
    return correlation.current()
