from django.apps import AppConfig


class ChartConfig(AppConfig):
    name = "smartapp.chart"
    label = "chart"
