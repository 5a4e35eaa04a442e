from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "创建活动"

    def ready(self) -> None:
        # Registers the django-rules permissions.
        from . import access  # noqa: F401
        # Audit rows for logins, permission and membership changes.
        from . import signals  # noqa: F401
        # Renaming a point type or unit renames it in the points' search column.
        from . import search

        search.connect()
