from django.apps import AppConfig


class SnapsConfig(AppConfig):
    name = "snaps"
    verbose_name = "随手拍"
