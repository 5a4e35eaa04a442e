from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "月度考核与报表"

    def ready(self) -> None:
        from . import jobs, signals  # noqa: F401 - jobs: register the Celery tasks job_services sends by name

        signals.connect()
