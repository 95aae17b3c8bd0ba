"""App users come from the EHR: one Django user per (issuer, OpenID `sub`); roles are Django groups
(core.roles.ROLES; created by the launch migration 0002)."""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from smartapp.launch.models import Identity


def user_for(*, issuer: str, sub: str, fhir_user: str, role: str):
    """The user for (issuer, sub), created on first sight, with `role` among its groups."""
    identity = Identity.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    if identity is None:
        identity = _create(issuer=issuer, sub=sub, fhir_user=fhir_user)
    elif identity.fhir_user != fhir_user:
        Identity.objects.filter(pk=identity.pk).update(fhir_user=fhir_user)
    group, _ = Group.objects.get_or_create(name=role)
    identity.user.groups.add(group)
    return identity.user


def _create(*, issuer: str, sub: str, fhir_user: str) -> Identity:
    try:
        with transaction.atomic():
            # The username is opaque: `sub` may be an identifier the EHR considers sensitive.
            username = "ehr-" + hashlib.sha256(f"{issuer}|{sub}".encode()).hexdigest()[:24]
            user = get_user_model().objects.create_user(username=username)  # no usable password
            return Identity.objects.create(user=user, issuer=issuer, sub=sub, fhir_user=fhir_user)
    except IntegrityError:  # created by a concurrent launch of the same person
        return Identity.objects.select_related("user").get(issuer=issuer, sub=sub)


def has_role(user, role: str) -> bool:
    return user.is_authenticated and user.groups.filter(name=role).exists()
