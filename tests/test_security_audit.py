"""The audit log: what is recorded, who may search and export it, and that nobody can change it."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaign import audit
from campaign.models import AuditLog, Membership, Role


def rows(action: str):
    return AuditLog.objects.filter(action=action)


# ------------------------------------------------------------------ memberships and permissions


def test_adding_changing_and_removing_a_membership_is_audited(world):
    m = Membership.objects.create(user=world.nobody, unit=world.unit_b, role=Role.OFFICIAL)
    created = rows("membership.create").get(object_id=str(m.pk))
    assert created.after["username"] == "nobody"
    assert created.after["role"] == Role.OFFICIAL
    assert created.unit == world.unit_b

    m.unit = world.unit_a
    m.save()
    updated = rows("membership.update").get()
    assert (updated.before["unit_name"], updated.after["unit_name"]) == ("口岸街道", "城东街道")

    m.delete()
    deleted = rows("membership.delete").get()
    assert deleted.before["unit_name"] == "城东街道"
    assert deleted.object_id == str(created.object_id)


def test_membership_changes_in_the_admin_name_the_admin_and_the_address(world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client(REMOTE_ADDR="10.20.30.40")
    client.force_login(world.admin)
    membership = Membership.objects.get(user=world.official_b)
    response = client.post(reverse("admin:campaign_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    row = rows("membership.delete").get()
    assert (row.actor, row.ip_address) == (world.admin, "10.20.30.40")


def test_staff_and_superuser_flags_are_audited_with_before_and_after(world):
    user = world.nobody
    user.is_staff = True
    user.save()
    row = rows("user.permissions").get()
    assert row.before == {"is_staff": False}
    assert row.after == {"is_staff": True}
    user.first_name = "改名"
    user.save()
    assert rows("user.permissions").count() == 1  # a name change is not a permission change


def test_group_membership_changes_are_audited(world):
    group = Group.objects.create(name="市创建办")
    world.nobody.groups.add(group)
    world.nobody.groups.remove(group)
    actions = list(rows("user.groups").order_by("pk").values_list("after", flat=True))
    assert actions == [{"action": "add", "items": ["市创建办"]}, {"action": "remove", "items": ["市创建办"]}]


def test_a_password_change_is_audited_without_the_password(world):
    world.nobody.set_password("Another#Pass2026")
    world.nobody.save()
    row = rows("auth.password_change").filter(message="修改密码").get()
    assert row.object_id == str(world.nobody.pk)
    assert "Another" not in str(row.before) + str(row.after) + row.message


# ------------------------------------------------------------------ search page


def _seed_rows(world) -> None:
    AuditLog.objects.all().delete()
    audit.record("finding.create", actor=world.inspector, obj=world.point_a, unit=world.unit_a, message="人民路发现问题")
    audit.record("finding.create", actor=world.inspector, obj=world.point_b, unit=world.unit_b, message="口岸市场问题")
    audit.record("bonus.approve", actor=world.admin, obj=world.unit_a, message="加分审批")
    old = audit.record("task.accept", actor=world.admin, obj=world.community_a, message="验收")
    AuditLog.objects.filter(pk=old.pk).update(at=dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize("who, status", [("admin", 200), ("leader", 200), ("inspector", 404), ("official_a", 404), ("nobody", 404)])
def test_only_admins_and_leaders_may_open_the_audit_log(world, client_for, who, status):
    client = client_for(getattr(world, who))
    assert client.get(reverse("campaign-audit")).status_code == status
    assert client.get(reverse("campaign-audit-export")).status_code == status


def test_the_audit_log_needs_a_login(world):
    response = Client().get(reverse("campaign-audit"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, ["人民路发现问题", "口岸市场问题", "加分审批", "验收"]),
        ({"person": "李督查"}, ["人民路发现问题", "口岸市场问题"]),
        ({"person": "admin_test"}, ["加分审批", "验收"]),
        ({"action": "finding"}, ["人民路发现问题", "口岸市场问题"]),
        ({"obj": "农贸市场"}, ["口岸市场问题"]),
        ({"date_to": "2026-10-31"}, ["验收"]),
        ({"date_from": "2026-11-01"}, ["人民路发现问题", "口岸市场问题", "加分审批"]),
    ],
)
def test_the_audit_log_is_searchable(world, client_for, query, expected):
    _seed_rows(world)
    page = client_for(world.leader).get(reverse("campaign-audit"), query)
    # Logging the leader in adds an auth.login row of its own; only the seeded rows matter here.
    found = [row.message for row in page.context["page"] if not row.action.startswith("auth.")]
    assert sorted(found) == sorted(expected)


def test_the_unit_filter_includes_the_units_below(world, client_for):
    _seed_rows(world)
    page = client_for(world.admin).get(reverse("campaign-audit"), {"unit": world.unit_a.pk})
    assert sorted(row.message for row in page.context["page"]) == ["人民路发现问题", "加分审批", "验收"]


def test_a_reversed_date_range_is_explained(world, client_for):
    page = client_for(world.admin).get(reverse("campaign-audit"), {"date_from": "2026-11-02", "date_to": "2026-11-01"})
    assert "开始日期不能晚于结束日期" in page.content.decode()
    assert list(page.context["page"]) == []


def test_the_export_is_an_xlsx_of_the_filtered_rows_and_is_itself_audited(world, client_for):
    _seed_rows(world)
    audit.record("finding.create", actor=world.inspector, obj=world.point_a, message="=HYPERLINK(\"http://x\")")
    response = client_for(world.admin).get(reverse("campaign-audit-export"), {"person": "李督查"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    values = list(ws.values)
    assert values[0][:5] == ("时间", "操作人账号", "操作人", "操作", "操作名称")
    assert values[1][4] == "登记问题"
    messages = sorted(row[12] for row in values[1:])
    assert messages == ["'=HYPERLINK(\"http://x\")", "人民路发现问题", "口岸市场问题"]
    assert not rows("audit.export").exists()  # one row per download: file.download, with the filters
    row = rows("file.download").get()
    assert row.actor == world.admin and row.message.startswith("导出审计日志：审计日志-")
    assert row.after["filters"]["person"] == "李督查"


def test_user_text_in_the_audit_log_is_escaped(world, client_for):
    audit.record("finding.create", actor=world.inspector, message="<script>alert(1)</script>")
    body = client_for(world.admin).get(reverse("campaign-audit")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# ------------------------------------------------------------------ append-only


@pytest.fixture
def superuser_client(world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client()
    client.force_login(world.admin)
    return client


def test_the_admin_cannot_add_change_or_delete_audit_rows(world, superuser_client):
    row = audit.record("finding.create", actor=world.inspector, message="原始记录")
    assert superuser_client.get(reverse("admin:campaign_auditlog_add")).status_code == 403
    change = superuser_client.post(reverse("admin:campaign_auditlog_change", args=[row.pk]), {"message": "篡改"})
    assert change.status_code == 403
    delete = superuser_client.post(reverse("admin:campaign_auditlog_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 403
    bulk = superuser_client.post(
        reverse("admin:campaign_auditlog_changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    row.refresh_from_db()
    assert row.message == "原始记录"
    assert bulk.status_code in (200, 302)
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_the_admin_may_read_an_audit_row(world, superuser_client):
    row = audit.record("finding.create", actor=world.inspector, message="原始记录")
    response = superuser_client.get(reverse("admin:campaign_auditlog_change", args=[row.pk]))
    assert response.status_code == 200
    assert "原始记录" in response.content.decode()


def test_no_page_of_the_site_writes_to_the_audit_log_except_by_recording():
    """Views and services only ever append: no .update()/.delete() on AuditLog outside purge_audit."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        ["grep", "-rnE", r"AuditLog\.objects.*\.(update|delete)\(|AuditLog\.objects\.(bulk_update|filter\(.*\)\.update)",
         "campaign", "tasks", "inspections", "reports", "config", "--include=*.py"],
        cwd=root, capture_output=True, text=True,
    )
    # The demo loader may clear the demo accounts' rows when it rebuilds the demo (never run in production).
    offenders = [line for line in done.stdout.splitlines() if "purge_audit.py" not in line and "/demo.py:" not in line]
    assert offenders == []


# ------------------------------------------------------------------ retention


def _row_aged(days: int) -> AuditLog:
    row = audit.record("finding.create", message=f"{days} 天前")
    AuditLog.objects.filter(pk=row.pk).update(at=timezone.now() - dt.timedelta(days=days))
    return row


def test_purge_removes_rows_older_than_the_retention_and_spares_younger_ones(db):
    old, kept, fresh = _row_aged(181), _row_aged(179), _row_aged(0)
    out = io.StringIO()
    call_command("purge_audit", "--days", "180", stdout=out)
    assert "已删除 1 条" in out.getvalue()
    assert not AuditLog.objects.filter(pk=old.pk).exists()
    assert set(AuditLog.objects.filter(pk__in=[kept.pk, fresh.pk]).values_list("pk", flat=True)) == {kept.pk, fresh.pk}
    assert AuditLog.objects.filter(action="audit.purge").exists()


def test_purge_refuses_a_retention_shorter_than_180_days(db):
    young = _row_aged(100)
    with pytest.raises(CommandError, match="至少保留 180 天"):
        call_command("purge_audit", "--days", "90")
    assert AuditLog.objects.filter(pk=young.pk).exists()


def test_actions_are_shown_with_their_chinese_names(world, client_for):
    audit.record("rectification.return", actor=world.inspector, message="现场仍有垃圾")
    body = client_for(world.admin).get(reverse("campaign-audit")).content.decode()
    assert "整改退回" in body
    assert audit.action_label("finding.some_new_verb") == "问题与扣分"
    assert audit.action_label("unknown.verb") == "unknown.verb"
