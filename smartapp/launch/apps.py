from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "smartapp.launch"
    label = "launch"

    def ready(self):
        from smartapp.launch import session_policy  # noqa: F401  connects the sign-in clock
