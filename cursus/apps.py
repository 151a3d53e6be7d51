from django.apps import AppConfig


class CursusConfig(AppConfig):
    name = "cursus"
    verbose_name = "Cursus"
