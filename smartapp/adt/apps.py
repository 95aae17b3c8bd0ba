from django.apps import AppConfig


class AdtConfig(AppConfig):
    name = "smartapp.adt"
    label = "adt"
    verbose_name = "HL7 v2 ADT feed"
