from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "smartapp.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox EHR"
