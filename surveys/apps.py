from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "问卷调查"

    def ready(self) -> None:
        from . import signals

        signals.connect()
