"""The Django admin: every model is there, lists and searches load, frozen rows stay frozen."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from campaign.models import AssessmentPeriod, AuditLog, PeriodStatus
from inspections.models import Bonus, Check, CheckResult, Finding
from tests import factories as f
from tests.test_admin_sweeps import OUR_APPS



@pytest.fixture
def superuser(world):
    user = f.UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def frozen_finding(world):
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector, date=dt.date(2026, 10, 12))
    finding = f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean)
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 10, 1), status=PeriodStatus.PUBLISHED)
    return finding


def test_every_model_of_our_apps_is_in_the_admin():
    missing = [
        model._meta.label
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical") and not admin.site.is_registered(model)
    ]
    assert missing == []


def test_unit_list_shows_the_tree_indented_in_path_order(world, superuser, client_for):
    page = client_for(superuser).get(reverse("admin:campaign_unit_changelist")).content.decode()
    # 泰和市 (depth 0) comes before 城东区 (1), before 城东街道 (2), before 迎春社区 (3).
    positions = [page.index(name) for name in ("泰和市", "城东区", "城东街道", "迎春社区")]
    assert positions == sorted(positions)
    assert "padding-left:4.5em" in page  # 迎春社区 at depth 3


def test_indicator_list_indents_by_level(world, superuser, client_for):
    page = client_for(superuser).get(reverse("admin:campaign_indicator_changelist")).content.decode()
    assert "padding-left:3.0em" in page  # level-3 leaves


def test_the_change_page_of_each_world_object_loads(world, superuser, client_for, frozen_finding):
    client = client_for(superuser)
    for obj in (world.unit_a, world.leaf_clean, world.point_a, world.campaign, world.official_a, frozen_finding):
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


def test_a_finding_of_a_published_month_cannot_be_changed_in_the_admin(world, superuser, client_for, frozen_finding):
    client = client_for(superuser)
    url = reverse("admin:inspections_finding_change", args=[frozen_finding.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    client.post(url, {"description": "改过的描述", "points": "5.00"})
    frozen_finding.refresh_from_db()
    assert frozen_finding.description == "主干道两侧垃圾未及时清运"
    assert frozen_finding.points == Decimal("0.30")
    delete = client.post(reverse("admin:inspections_finding_delete", args=[frozen_finding.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Finding.objects.filter(pk=frozen_finding.pk).exists()


def test_a_finding_of_an_open_month_can_be_changed_in_the_admin(world, superuser, client_for):
    finding = f.FindingFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean)
    page = client_for(superuser).get(reverse("admin:inspections_finding_change", args=[finding.pk]))
    assert 'name="_save"' in page.content.decode()


def test_a_new_bonus_cannot_be_put_into_a_published_month(world, superuser, client_for, frozen_finding):
    response = client_for(superuser).post(reverse("admin:inspections_bonus_add"), {
        "campaign": world.campaign.pk, "unit": world.unit_a.pk, "month": "2026-10-01", "points": "1.00",
        "reason": "获评省级卫生乡镇", "status": "pending", "created_by": superuser.pk,
    })
    assert response.status_code == 200
    assert "已发布并冻结" in response.content.decode()
    assert not Bonus.objects.exists()


def test_a_period_status_cannot_be_flipped_in_the_admin(world, superuser, client_for):
    period = AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 11, 1))
    client = client_for(superuser)
    url = reverse("admin:campaign_assessmentperiod_change", args=[period.pk])
    client.post(url, {"status": PeriodStatus.PUBLISHED})
    period.refresh_from_db()
    assert period.status == PeriodStatus.OPEN
    assert 'name="status"' not in client.get(url).content.decode()


def test_the_audit_log_is_view_only_in_the_admin(world, superuser, client_for):
    entry = AuditLog.objects.create(actor=world.admin, actor_name="admin_test", action="finding.create", object_repr="问题")
    client = client_for(superuser)
    assert client.get(reverse("admin:campaign_auditlog_add")).status_code == 403
    assert client.get(reverse("admin:campaign_auditlog_change", args=[entry.pk])).status_code == 200
    client.post(reverse("admin:campaign_auditlog_change", args=[entry.pk]), {"action": "tampered"})
    client.post(reverse("admin:campaign_auditlog_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()
    assert entry.action == "finding.create"


def test_a_unit_official_cannot_open_the_admin(world, client_for):
    response = client_for(world.official_a).get(reverse("admin:campaign_unit_changelist"))
    assert response.status_code == 302


def test_the_admin_speaks_chinese_even_to_an_english_browser(world, superuser, client_for):
    page = client_for(superuser).get(reverse("admin:campaign_unit_changelist"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = page.content.decode()
    assert "选择 责任单位 来修改" in text or "选择责任单位来修改" in text.replace(" ", "")
    assert "Select" not in text


def test_a_checklist_item_of_a_published_month_is_read_only_in_the_admin(world, superuser, client_for):
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector, date=dt.date(2026, 10, 12))
    check = Check.objects.create(
        inspection=inspection, point=world.point_a, indicator=world.leaf_clean, unit=world.unit_a,
        result=CheckResult.PASS, month=dt.date(2026, 10, 1), checked_by=world.inspector,
    )
    # Published after the check was made (on PostgreSQL the database refuses checks into a published month).
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 10, 1), status=PeriodStatus.PUBLISHED)
    client = client_for(superuser)
    url = reverse("admin:inspections_check_change", args=[check.pk])
    assert 'name="_save"' not in client.get(url).content.decode()
    client.post(url, {"result": CheckResult.FAIL})
    check.refresh_from_db()
    assert check.result == CheckResult.PASS


def test_the_reported_cases_answer_the_chinese_400_page(world, superuser, client_for):
    client = client_for(superuser)
    response = client.get(reverse("admin:campaign_indicator_add"), {"campaign": "abc"})
    assert response.status_code == 400 and "请求有误" in response.content.decode()
    response = client.get(reverse("admin:tasks_task_history", args=["abc"]))
    assert response.status_code == 400 and "请求有误" in response.content.decode()
    # A well-formed value still pre-fills the form.
    response = client.get(reverse("admin:campaign_indicator_add"), {"campaign": str(world.campaign.pk)})
    assert response.status_code == 200
