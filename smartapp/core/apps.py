from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smartapp.core"
    label = "core"
