"""Chinese names for the third-party apps the admin lists (issue 17: /admin/ fully Chinese).

INSTALLED_APPS names these configs instead of the bare packages; each keeps the package's own
``ready()`` (django-axes initialises its checks and signals there). Model and field names of
django-axes, which ships no Chinese catalogue, are translated in ``locale/zh_Hans`` (LOCALE_PATHS);
django.contrib.auth, django-simple-history and django-simple-captcha have their own.
"""
from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录防护"


class SimpleHistoryConfig(AppConfig):
    name = "simple_history"
    verbose_name = "修改历史"


class CaptchaConfig(AppConfig):
    name = "captcha"
    verbose_name = "验证码"
