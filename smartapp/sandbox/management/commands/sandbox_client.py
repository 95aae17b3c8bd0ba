"""python manage.py sandbox_client register|list|remove: the sandbox's registered SMART clients."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from smartapp.sandbox.auth import clients
from smartapp.sandbox.vendors import VENDORS

_GRANTS = {"authorization_code": clients.AUTHORIZATION_CODE, "client_credentials": clients.CLIENT_CREDENTIALS}


class Command(BaseCommand):
    help = "Register, list or remove the sandbox's SMART clients."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        register = actions.add_parser("register", help="create or update a client")
        register.add_argument("--client-id", required=True)
        register.add_argument(
            "--type", choices=[clients.PUBLIC, clients.CONFIDENTIAL], default=clients.PUBLIC
        )
        register.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
        register.add_argument("--secret")
        keys = register.add_mutually_exclusive_group()
        keys.add_argument("--jwks-file", type=Path, help="a JWKS document with the client's public keys")
        keys.add_argument("--jwks-url", help="where the client publishes its JWKS")
        register.add_argument(
            "--scopes", default="", help="the SMART scopes it may be granted (default: any)"
        )
        register.add_argument("--launch-url", default="")
        register.add_argument("--grant-type", choices=sorted(_GRANTS), default="authorization_code")
        register.add_argument("--name", default="")
        register.add_argument(
            "--vendor",
            choices=VENDORS,
            default="",
            help="register it with a vendor emulation: it then authorizes only at that vendor's endpoints",
        )
        actions.add_parser("list", help="list registered clients")
        remove = actions.add_parser("remove", help="delete a client")
        remove.add_argument("--client-id", required=True)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _register(self, *, client_id, redirect_uris, secret, jwks_file, jwks_url, **options):
        registered = clients.register(
            client_id,
            client_type=options["type"],
            redirect_uris=redirect_uris,
            secret=secret,
            jwks=_jwks(jwks_file, jwks_url),
            scopes=options["scopes"],
            launch_url=options["launch_url"],
            grant_type=_GRANTS[options["grant_type"]],
            name=options["name"],
            vendor=options["vendor"],
        )
        verb = "registered" if registered.created else "updated"
        self.stdout.write(f"{verb} {client_id}")
        if registered.secret:
            self.stdout.write(f"client secret (shown once): {registered.secret}")

    def _list(self, **options):
        for app in clients.all_clients():
            profile = getattr(app, "smart", None)
            keys = "keys" if profile and profile.jwks else "no keys"
            vendor = (profile.vendor if profile else "") or "plain"
            self.stdout.write(
                f"{app.client_id}\t{app.client_type}\t{app.authorization_grant_type}\t{keys}\t{vendor}"
                f"\t{app.redirect_uris}"
            )

    def _remove(self, *, client_id, **options):
        if not clients.remove(client_id):
            raise CommandError(f"no client {client_id}")
        self.stdout.write(f"removed {client_id}")


def _jwks(jwks_file: Path | None, jwks_url: str | None) -> dict | None:
    if jwks_url:
        return {"jwks_uri": jwks_url}
    if jwks_file is None:
        return None
    try:
        document = json.loads(jwks_file.read_text())
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot read a JWKS from {jwks_file}") from error
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise CommandError("the JWKS file must hold an object with a `keys` list")
    return document
