from django import template
from django.utils.html import format_html

from smartapp.sandbox.form_token import FIELD, form_token

register = template.Library()


@register.simple_tag(takes_context=True)
def sandbox_form_token(context):
    """The hidden input a sandbox form posts its token in (see smartapp/sandbox/form_token.py)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, form_token(context["request"]))
