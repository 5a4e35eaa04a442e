#!/usr/bin/env python3
"""Sortable tables at size (issue 17): the first page of the findings list in each sort, and the
任务统计 page sorted and filtered, on the bench city (read only: nothing is written).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chuangwen_bench .venv/bin/python scripts/bench_tables.py

Prints, per case, the best of three wall-clock times in milliseconds.
"""
from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chuangwen_bench")
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Render without a collected manifest (the bench measures the views, not static files).
settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.messages.storage.fallback import FallbackStorage  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from campaign import sorting  # noqa: E402
from campaign.models import Campaign  # noqa: E402
from inspections import selectors  # noqa: E402
from tasks.views import task_dashboard  # noqa: E402


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main() -> None:
    campaign = Campaign.objects.order_by("pk").first()
    user = get_user_model().objects.get(username="bench_admin")
    total = selectors.findings_for(user, campaign).count()
    print(f"findings list, first page of 50 of {total:,} findings (admin, no filter):")
    for value in ("-date", "date", "-points", "unit", "status"):
        sort = sorting.parse(value, selectors.FINDING_SORTS, "-date")
        qs = selectors.findings_for(user, campaign).order_by(*sorting.ordering(sort, selectors.FINDING_SORTS))
        print(f"  sort={value:8s} {best_of(lambda qs=qs: list(qs[:50])):8.0f} ms")
    month = campaign.months()[0]
    print(f"  the same within one month ({month:%Y-%m}):")
    for value in ("-date", "-points", "unit"):
        sort = sorting.parse(value, selectors.FINDING_SORTS, "-date")
        qs = selectors.findings_for(user, campaign, selectors.FindingFilters(month=month))
        qs = qs.order_by(*sorting.ordering(sort, selectors.FINDING_SORTS))
        print(f"  sort={value:8s} {best_of(lambda qs=qs: list(qs[:50])):8.0f} ms")

    factory = RequestFactory()

    def dashboard(query: dict) -> None:
        request = factory.get("/tasks/dashboard/", query)
        request.user = user
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        response = task_dashboard(request)
        assert response.status_code == 200, response.status_code

    print("任务统计 (admin, whole city):")
    for label, query in (
        ("default", {}), ("unit_sort=-rate", {"unit_sort": "-rate"}), ("unit_sort=name", {"unit_sort": "name"}),
        ("q=街道", {"q": "街道"}),
    ):
        print(f"  {label:16s} {best_of(lambda query=query: dashboard(query)):8.0f} ms")


if __name__ == "__main__":
    main()
