"""The four roles as Django groups (core.roles.ROLES), with the model permissions each role's pages use.

A launch adds its user to the clinician, patient or coordinator group (launch/identity.py); the admin group
is given by hand (Django admin) and opens the audit trail (audit/access.py). Clinicians and patients get
no model permissions: what they see comes from the EHR through their launch's token, and the app keeps
no rows of theirs to grant. Existing groups (made by launches before this migration) keep their members
and gain the permissions. Reversing keeps the groups: they may have members.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "clinician": [],
    "patient": [],
    "coordinator": [
        ("referrals", "view_referral"),
        ("referrals", "view_evidence"),
        ("referrals", "view_outreachnote"),
        ("referrals", "add_outreachnote"),
    ],
    "admin": [("audit", "view_auditevent")],
}


def _permissions_exist(apps, using):
    """Permissions are normally created after all migrations (post_migrate): create them now."""
    for label in ("audit", "referrals"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # create_permissions skips apps without models modules
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None


def create_role_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    _permissions_exist(apps, using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(
                Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("launch", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0002_append_only_in_the_database"),
        ("referrals", "0002_sync_resume_and_claim"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
