from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "smartapp.referrals"
    label = "referrals"

    def ready(self):
        from smartapp.core.roles import register_role_check
        from smartapp.referrals import checks  # noqa: F401 (registers the follow-up rules' start-up check)
        from smartapp.referrals.access import coordinator_check

        register_role_check(("coordinator",), coordinator_check)
