"""Every action issue 8 names leaves an audit row: calling the real services of each app.

Findings, rectification reviews, bonuses, task acceptance, publication and
revocation of a month, imports and report downloads. (Logins, permission and
membership changes are covered in test_security_login / test_security_audit.)
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from campaign.models import AuditLog
from inspections import services as inspection_services
from reports import job_services
from reports.services import period_publish, period_revoke
from dataload import imports
from tasks import services as task_services
from tests import factories as f
from tests.import_workbooks import xlsx
from tests.inspections_support import inspection, png

OCT = dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def only(action: str) -> AuditLog:
    return AuditLog.objects.get(action=action)


def test_a_finding_and_the_review_of_its_rectification_are_audited(world):
    finding = inspection_services.finding_create(
        inspector=world.inspector, inspection=inspection(world), indicator=world.leaf_clean, point=world.point_a,
        description="人民路两侧垃圾未及时清运",
    )
    row = only("finding.create")
    assert (row.actor, row.unit, row.object_id) == (world.inspector, world.unit_a, str(finding.pk))
    assert row.after["description"] == "人民路两侧垃圾未及时清运"

    first = inspection_services.rectification_submit(official=world.official_a, finding=finding, description="已清运", after_photos=[png()])
    assert only("rectification.submit").actor == world.official_a
    inspection_services.rectification_review(reviewer=world.inspector, rectification=first, accept=False, comment="现场仍有垃圾")
    returned = only("rectification.return")
    assert (returned.actor, returned.unit) == (world.inspector, world.unit_a)

    finding.refresh_from_db()
    second = inspection_services.rectification_submit(official=world.official_a, finding=finding, description="再次清运并设置垃圾桶", after_photos=[png("整改后.png", "green")])
    inspection_services.rectification_review(reviewer=world.inspector, rectification=second, accept=True)
    accepted = only("rectification.accept")
    assert accepted.before is not None and accepted.after is not None


def test_a_bonus_proposal_and_its_approval_are_audited(world):
    bonus = inspection_services.bonus_create(
        actor=world.inspector, campaign=world.campaign, unit=world.unit_b, month=OCT, points=D("1.00"), reason="获评省级卫生街道",
    )
    assert only("bonus.create").unit == world.unit_b
    inspection_services.bonus_approve(approver=world.admin, bonus=bonus)
    row = only("bonus.approve")
    assert (row.actor, row.object_id) == (world.admin, str(bonus.pk))


def test_task_acceptance_is_audited(world):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.task_complete(task=task, user=world.official_a, today=dt.date(2026, 10, 20))
    task_services.task_accept(task=task, user=world.admin)
    row = only("task.accept")
    assert (row.actor, row.unit, row.object_id) == (world.admin, world.unit_a, str(task.pk))
    assert row.before != row.after


def test_publishing_and_revoking_a_month_are_audited(world):
    period_publish(campaign=world.campaign, month=OCT, actor=world.admin, today=dt.date(2026, 11, 5), confirm_empty=True)
    assert only("period.publish").actor == world.admin
    period_revoke(campaign=world.campaign, month=OCT, actor=world.admin, reason="口岸街道扣分录入错误")
    row = only("period.revoke")
    assert row.actor == world.admin
    assert "口岸街道扣分录入错误" in str(row.after) + row.message


def test_an_import_is_audited(world):
    fresh = f.CampaignFactory(slug="taihe-2027", name="泰和市2027年创建全国文明城市", year=2027)
    data = xlsx([
        ["测评项目", "测评内容", "测评标准", "标准分", "测评方法", "责任单位"],
        ["公共环境", "市容市貌", "主次干道路面干净，无积存垃圾。", 2, "实地考察", "市城管局"],
    ])
    imports.import_apply(campaign=fresh, kind="indicators", data=data, actor=world.admin, filename="测评体系.xlsx")
    row = only("import.apply")
    assert row.actor == world.admin
    assert row.after["file"] == "测评体系.xlsx"


def test_a_report_download_is_audited_once(world, client_for):
    """One row per download: ``file.download`` naming the job (the old second ``report.download`` row is gone)."""
    from django.urls import reverse

    job, _ = job_services.report_job_request(kind="workbook-xlsx", campaign=world.campaign, month=OCT, user=world.admin)
    job = job_services.report_job_run(job.pk)
    client = client_for(world.leader)
    before = set(AuditLog.objects.values_list("pk", flat=True))
    response = client.get(reverse("reports-job-download", args=[job.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    new = AuditLog.objects.exclude(pk__in=before)
    assert list(new.values_list("action", flat=True)) == ["file.download"]
    row = new.get()
    assert (row.actor, row.object_type, row.object_id) == (world.leader, "reports.ReportJob", str(job.pk))
    assert row.after["filename"] == job.filename


def test_changes_made_outside_the_site_are_attributed_to_system(world):
    """The world is built in code, not through a request: those rows say "system", never nobody."""
    setup_rows = AuditLog.objects.filter(action__in=["membership.create", "user.create"])
    assert setup_rows.count() == 5 + 6  # five memberships, six accounts
    assert set(setup_rows.values_list("actor_name", flat=True)) == {"system"}
    assert not AuditLog.objects.filter(actor_name="").exists()
