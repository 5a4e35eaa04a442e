"""The Celery application.

Celery jobs live in each app's ``jobs.py`` (never ``tasks.py``: ``tasks`` is our
Django app for the responsibility breakdown). ``autodiscover_tasks`` is told so.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chuangwen")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
