from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "smartapp.launch"
    label = "launch"
