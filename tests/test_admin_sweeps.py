"""The Django admin swept model by model: every changelist loads and searches, and junk in an add
page's query or a history page's id is never a server error.

The sweeps only GET pages, so they share one world built for the module (see ``sweep_admin``);
tests/test_admin.py holds the admin tests that write.
"""
from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.urls import reverse

from tests import factories as f
from tests.conftest import build_world

OUR_APPS = ("campaign", "tasks", "inspections", "reports")


@pytest.fixture(scope="module")
def sweep_admin(django_db_setup, django_db_blocker):
    """The world's superuser, with the world built once for the module's sweeps and rolled back afterwards.

    The sweeps (one test per model) only GET admin pages, and each test still runs in its own savepoint
    (``db``), as in tests/test_access_sweep.py: building the world for each of ~170 tests was most of
    this module's time.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            build_world()
            yield f.UserFactory(username="root_admin", is_staff=True, is_superuser=True)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.parametrize(
    "model", [m for app in OUR_APPS for m in apps.get_app_config(app).get_models() if not m.__name__.startswith("Historical")],
    ids=lambda m: m._meta.label,
)
def test_each_changelist_loads_and_searches(sweep_admin, db, client_for, model):
    client = client_for(sweep_admin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert client.get(url, {"q": "城东"}).status_code == 200


def _registered() -> list:
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def _fk_names(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields if field.many_to_one or field.one_to_one]


@pytest.mark.parametrize("model", _registered(), ids=lambda m: m._meta.label)
def test_an_add_page_with_a_bad_foreign_key_in_the_query_is_not_a_500(sweep_admin, db, client_for, model):
    """/admin/<app>/<model>/add/?<fk>=abc: the Chinese 400 page (or the form, ignoring it), never a server error."""
    client = client_for(sweep_admin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    for name in _fk_names(model):
        for bad in ("abc", "1.5", "99999999999999999999"):
            response = client.get(url, {name: bad})
            assert response.status_code in (200, 400, 403), (name, bad, response.status_code)
            if response.status_code == 400:
                assert "请求有误" in response.content.decode()


@pytest.mark.parametrize("model", _registered(), ids=lambda m: m._meta.label)
def test_a_history_page_with_a_non_numeric_id_is_not_a_500(sweep_admin, db, client_for, model):
    client = client_for(sweep_admin)
    for bad in ("abc", "1.5"):
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[bad])
        assert client.get(url).status_code in (302, 400, 404), (bad, url)


def test_the_sweep_reaches_the_foreign_keys_and_history_models_that_failed():
    """Guard the sweep itself: the cases of the defect report are among those swept."""
    from simple_history.admin import SimpleHistoryAdmin

    assert any("campaign" in _fk_names(m) for m in _registered())
    assert any(isinstance(a, SimpleHistoryAdmin) for a in admin.site._registry.values())
