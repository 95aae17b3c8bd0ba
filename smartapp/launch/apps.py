from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "smartapp.launch"
    label = "launch"

    def ready(self):
        from smartapp.core.roles import register_role_check
        from smartapp.launch import session_policy  # noqa: F401  connects the sign-in clock
        from smartapp.launch.roles import launch_role_check

        register_role_check(("clinician", "patient"), launch_role_check)
