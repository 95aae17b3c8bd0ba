"""The worklist's banner "N hospital admission or discharge messages wait for review": a tag, since referrals
code never imports adt."""

from django import template

from smartapp.adt.review import parked_count

register = template.Library()


@register.simple_tag
def adt_parked_count(connections) -> int:
    """How many parked ADT messages of these connections wait for a coordinator."""
    return parked_count(connections)
