"""Re-encrypt every stored secret under the newest key of FIELD_ENCRYPTION_KEYS.

python manage.py reencrypt_secrets [--batch-size N]

Key rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy, run
this, and drop an old key once no column reports rows left under it. Prints counts only, never a value.
"""

from django.core.management.base import BaseCommand

from smartapp.core.rotation import column_reencrypt, encrypted_columns


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the newest FIELD_ENCRYPTION_KEYS key (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")

    def handle(self, *args, batch_size=500, **options):
        unreadable = 0
        for model, field in encrypted_columns():
            report = column_reencrypt(model, field, batch_size=max(batch_size, 1))
            unreadable += report.unreadable
            self.stdout.write(
                f"{report.column}: {report.reencrypted} re-encrypted, {report.current} already current, "
                f"{report.changed} changed meanwhile, {report.unreadable} unreadable"
            )
        if unreadable:
            self.stderr.write(
                f"{unreadable} value(s) could not be decrypted with any configured key and were left as they "
                "are: their launches need a new sign-in (the app treats them as expired)."
            )
