"""`manage.py adt_listen` that dies the way a power cut would, right after its first batch committed and
before that message's ACK is written (os._exit: no cleanup, no graceful close). The durability test resends
the message to a fresh listener on the same database: it must be stored exactly once.

python tests/adt/crashing_listener.py [adt_listen's options]
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRASH_STATUS = 17


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartapp.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from smartapp.adt import connections

    async def crash_before_ack(writer, payload):
        os._exit(CRASH_STATUS)  # the batch is committed; the ACK never leaves

    connections.ack_send = crash_before_ack
    call_command("adt_listen", *sys.argv[1:])


if __name__ == "__main__":
    main()
