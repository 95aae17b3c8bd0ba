from django.apps import AppConfig


class EhrConfig(AppConfig):
    name = "smartapp.ehr"
    label = "ehr"

    def ready(self):
        from smartapp.ehr import configs

        configs.all_configs()  # a registration that does not validate stops start-up here, naming the file
