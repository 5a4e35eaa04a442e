from django.apps import AppConfig


class DataloadConfig(AppConfig):
    name = "dataload"
    verbose_name = "数据导入"
