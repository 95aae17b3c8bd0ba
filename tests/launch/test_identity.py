"""Unique user identification (HIPAA §164.312(a)(2)(i)): one app user per (issuer, OpenID `sub`)."""

import pytest
from django.db import IntegrityError, transaction

from smartapp.launch.identity import has_role, user_for
from smartapp.launch.models import Identity

EHR_A = "https://ehr-a.example/fhir"
EHR_B = "https://ehr-b.example/fhir"

pytestmark = pytest.mark.django_db


def test_the_same_person_launching_twice_is_one_user():
    first = user_for(issuer=EHR_A, sub="s-1", fhir_user="Practitioner/1", role="clinician")
    again = user_for(issuer=EHR_A, sub="s-1", fhir_user="Practitioner/1", role="clinician")

    assert first.pk == again.pk
    assert Identity.objects.count() == 1


def test_the_same_sub_on_two_ehrs_is_two_users():
    on_a = user_for(issuer=EHR_A, sub="s-1", fhir_user="Practitioner/1", role="clinician")
    on_b = user_for(issuer=EHR_B, sub="s-1", fhir_user="Practitioner/1", role="clinician")

    assert on_a.pk != on_b.pk


def test_the_database_refuses_a_second_identity_for_one_issuer_and_sub():
    user = user_for(issuer=EHR_A, sub="s-1", fhir_user="Practitioner/1", role="clinician")

    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(user=user, issuer=EHR_A, sub="s-1")


def test_roles_add_up_and_the_username_does_not_carry_the_sub():
    user = user_for(issuer=EHR_A, sub="s-secret", fhir_user="Practitioner/1", role="clinician")
    user_for(issuer=EHR_A, sub="s-secret", fhir_user="Practitioner/1", role="coordinator")

    assert has_role(user, "clinician") and has_role(user, "coordinator")
    assert not has_role(user, "admin")
    assert "s-secret" not in user.username and not user.has_usable_password()
