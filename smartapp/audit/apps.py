from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "smartapp.audit"
    label = "audit"

    def ready(self):
        from smartapp.audit.guard import connection_prepared

        connection_created.connect(connection_prepared, dispatch_uid="smartapp.audit.guard")
