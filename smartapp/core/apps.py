from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smartapp.core"
    label = "core"

    def ready(self):
        from smartapp.core.correlation import install_record_factory

        install_record_factory()  # every log line names its request (core/correlation.py)
