from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "smartapp.audit"
    label = "audit"

    def ready(self):
        from smartapp.audit.access import auditor_check
        from smartapp.audit.admin_changes import admin_changes_connect
        from smartapp.audit.guard import connection_prepared
        from smartapp.core.roles import register_role_check

        register_role_check(("admin",), auditor_check)
        admin_changes_connect()

        connection_created.connect(connection_prepared, dispatch_uid="smartapp.audit.guard")
