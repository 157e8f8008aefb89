from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "raschet.api"
    verbose_name = "API"
