"""App users come from the EHR: one Django user per (issuer, OpenID `sub`); roles are Django groups
(core.roles.ROLES; created by the launch migration 0002)."""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from smartapp.core.display_text import text
from smartapp.launch.models import Identity

NAME_LIMIT = Identity._meta.get_field("display_name").max_length


def identity_for(*, issuer: str, sub: str, fhir_user: str, role: str, display_name: str = "") -> Identity:
    """The Identity for (issuer, sub), created on first sight, its user with `role` among its groups.

    `display_name` (already made safe by `shown_name`) replaces the stored one; "" keeps it, so that an EHR
    that names the user only sometimes (or a failed read, display_names.py) does not unname them."""
    identity = Identity.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    if identity is None:
        identity = _create(issuer=issuer, sub=sub, fhir_user=fhir_user, display_name=display_name)
    changed = {"fhir_user": fhir_user} | ({"display_name": display_name} if display_name else {})
    changed = {field: value for field, value in changed.items() if getattr(identity, field) != value}
    if changed:
        Identity.objects.filter(pk=identity.pk).update(**changed)
        for field, value in changed.items():
            setattr(identity, field, value)
    group, _ = Group.objects.get_or_create(name=role)
    identity.user.groups.add(group)
    return identity


def user_for(*, issuer: str, sub: str, fhir_user: str, role: str):
    """The user for (issuer, sub), created on first sight, with `role` among its groups."""
    return identity_for(issuer=issuer, sub=sub, fhir_user=fhir_user, role=role).user


def shown_name(value) -> str:
    """A name from the EHR as pages may show it: safe text (core/display_text.py), at most NAME_LIMIT
    characters, and "" for a value that names nobody (not a string, blank, no letter at all)."""
    name = text(value, NAME_LIMIT)
    return name if any(char.isalpha() for char in name) else ""


def _create(*, issuer: str, sub: str, fhir_user: str, display_name: str) -> Identity:
    try:
        with transaction.atomic():
            # The username is opaque: `sub` may be an identifier the EHR considers sensitive.
            username = "ehr-" + hashlib.sha256(f"{issuer}|{sub}".encode()).hexdigest()[:24]
            user = get_user_model().objects.create_user(username=username)  # no usable password
            return Identity.objects.create(
                user=user, issuer=issuer, sub=sub, fhir_user=fhir_user, display_name=display_name
            )
    except IntegrityError:  # created by a concurrent launch of the same person
        return Identity.objects.select_related("user").get(issuer=issuer, sub=sub)


def has_role(user, role: str) -> bool:
    return user.is_authenticated and user.groups.filter(name=role).exists()
