"""Give a staff user a TOTP device for the admin, replacing any they had.

python manage.py admin_totp_device <username>

Prints the otpauth:// URL once, for the user's authenticator app: that is the only time the secret is
shown, and it is never logged. Run it again to replace a lost device (the old one stops working).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Create (or replace) the admin TOTP device of a staff user and print its otpauth:// URL once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None or not user.is_staff or not user.is_active:
            raise CommandError("No active staff user of that name.")
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="admin", confirmed=True)
        self.stdout.write("Add this to the authenticator app now; it is not shown again:")
        self.stdout.write(device.config_url)
