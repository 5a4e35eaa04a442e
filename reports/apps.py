from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "月度考核与报表"

    def ready(self) -> None:
        from . import signals

        signals.connect()
