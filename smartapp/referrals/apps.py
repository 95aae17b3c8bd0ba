from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "smartapp.referrals"
    label = "referrals"
