"""Notice channels (in-app, email, WeCom/DingTalk robots, SMS), routing, digests, escalation and delivery records."""
from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "消息推送"

    def ready(self) -> None:
        from . import jobs  # noqa: F401 - register the Celery tasks services send by name
