"""The import pages and commands: admins only, preview before apply, tokens from the session only."""
from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaign.models import AuditLog, Unit
from tests.import_workbooks import xlsx

UNIT_HEADER = ["单位名称", "简称", "上级单位", "单位类型", "考核组别"]
GOOD = [UNIT_HEADER, ["高港街道", "高港", "城西区", "街道", "乡镇街道组"]]
BAD = [UNIT_HEADER, ["高港街道", "高港", "城西区", "街道", None], ["永安社区", None, "海陵区", "社区", None]]


def upload(client, rows, kind="units", name="单位.xlsx"):
    file = io.BytesIO(xlsx(rows))
    file.name = name
    return client.post(reverse("tasks-import"), {"kind": kind, "sheet": "", "file": file, "action": "上传并预览"})


def token_of(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', response.content.decode())
    return match.group(1) if match else ""


@pytest.mark.parametrize("who", ["inspector", "leader", "official_a", "nobody"])
@pytest.mark.parametrize("url", [reverse("tasks-import"), reverse("tasks-import-template", args=["units"]),
                                 reverse("tasks-import-export", args=["units"])])
def test_only_admins_may_import_or_export(world, client_for, who, url):
    assert client_for(getattr(world, who)).get(url).status_code == 403


def test_a_leader_cannot_post_an_import(world, client_for):
    response = upload(client_for(world.leader), GOOD)
    assert response.status_code == 403
    assert not Unit.objects.filter(name="高港街道").exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("tasks-import"))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_an_unknown_kind_is_a_404(world, client_for):
    assert client_for(world.admin).get(reverse("tasks-import-template", args=["people"])).status_code == 404


def test_the_admin_sees_the_page_with_templates_and_exports_and_the_menu_entry(world, client_for):
    response = client_for(world.admin).get(reverse("tasks-import"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "数据导入与导出" in html
    for kind in ("indicators", "units", "points", "tasks"):
        assert reverse("tasks-import-template", args=[kind]) in html
    assert f'href="{reverse("tasks-import")}"' in html  # the menu links here


def test_a_preview_with_an_error_offers_no_apply_and_writes_nothing(world, client_for):
    response = upload(client_for(world.admin), BAD)
    html = response.content.decode()
    assert "找不到上级单位“海陵区”" in html
    assert "未写入任何数据" in html
    assert token_of(response) == ""
    assert not Unit.objects.filter(name="高港街道").exists()


def test_upload_preview_then_apply_writes_and_is_audited(world, client_for):
    client = client_for(world.admin)
    response = upload(client, GOOD)
    token = token_of(response)
    assert token and "新增 1" in response.content.decode()
    assert not Unit.objects.filter(name="高港街道").exists()
    done = client.post(reverse("tasks-import"), {"action": "apply", "token": token})
    assert done.status_code == 200
    assert "导入完成" in done.content.decode()
    assert Unit.objects.get(name="高港街道").parent == world.district_west
    log = AuditLog.objects.get(action="import.apply")
    assert log.actor == world.admin and log.after["file"] == "单位.xlsx" and log.after["created"] == 1
    # The token is spent: applying again does nothing.
    again = client.post(reverse("tasks-import"), {"action": "apply", "token": token}, follow=True)
    assert "已失效" in again.content.decode()
    assert AuditLog.objects.filter(action="import.apply").count() == 1


def test_a_token_from_another_session_or_a_path_is_refused(world):
    first, second = Client(), Client()
    first.force_login(world.admin)
    second.force_login(world.admin)
    token = token_of(upload(first, GOOD))
    assert token
    for forged in (token, "../../config/settings", "0" * 32):
        response = second.post(reverse("tasks-import"), {"action": "apply", "token": forged}, follow=True)
        assert "已失效" in response.content.decode()
    assert not Unit.objects.filter(name="高港街道").exists()


def test_the_template_and_export_downloads_are_workbooks(world, client_for):
    client = client_for(world.admin)
    template = client.get(reverse("tasks-import-template", args=["tasks"]))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(template.content)).sheetnames == ["责任分解表", "说明"]
    export = client.get(reverse("tasks-import-export", args=["units"]))
    rows = list(load_workbook(io.BytesIO(export.getvalue())).active.iter_rows(values_only=True))  # streamed
    assert rows[0][:5] == tuple(UNIT_HEADER)  # then 启用日期, 停用日期
    assert ("城东街道", None, "城东区", "街道", "乡镇街道组") in [r[:5] for r in rows]
    assert not AuditLog.objects.filter(action="import.export").exists()  # one row per download
    export_log = AuditLog.objects.get(action="file.download", message__startswith="导出")
    assert export_log.object_id == str(world.campaign.pk) and export_log.object_type == "campaign.Campaign"


def test_the_import_command_previews_with_dry_run_and_applies_without(world, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx(GOOD))
    out = io.StringIO()
    call_command("import_workbook", str(path), campaign="taihe-2026", kind="units", dry_run=True, stdout=out)
    assert "新增 1 条" in out.getvalue() and "未写入" in out.getvalue()
    assert not Unit.objects.filter(name="高港街道").exists()
    out = io.StringIO()
    call_command("import_workbook", str(path), campaign="taihe-2026", kind="units", stdout=out)
    assert "已导入" in out.getvalue()
    assert Unit.objects.filter(name="高港街道").exists()
    assert AuditLog.objects.get(action="import.apply").actor_name == "manage.py"


def test_the_import_command_refuses_a_bad_file_and_prints_the_problems(world, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx(BAD))
    out = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_workbook", str(path), campaign="taihe-2026", kind="units", stdout=out)
    assert "第3行 C（上级单位）列：找不到上级单位“海陵区”" in out.getvalue()
    assert not Unit.objects.filter(name="高港街道").exists()


def test_export_then_import_command_round_trip_shows_no_changes(world, tmp_path):
    path = tmp_path / "indicators.xlsx"
    call_command("export_workbook", campaign="taihe-2026", kind="indicators", out=str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_workbook", str(path), campaign="taihe-2026", kind="indicators", dry_run=True, stdout=out)
    assert "新增 0 条，更新 0 条，无变化 6 条" in out.getvalue()


def test_an_upload_left_unapplied_for_a_day_is_swept_away(world, client_for, settings):
    import datetime as dt
    import os

    client = client_for(world.admin)
    stale_token = token_of(upload(client, GOOD))
    stale = settings.MEDIA_ROOT / "imports" / f"{stale_token}.xlsx"
    assert stale.exists()
    old = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()
    os.utime(stale, (old, old))
    fresh = Client()  # another session: the first one ended without apply, its file is orphaned
    fresh.force_login(world.admin)
    assert token_of(upload(fresh, GOOD))
    assert not stale.exists()


def test_an_upload_over_the_size_cap_is_refused_by_the_form(world, client_for, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client_for(world.admin), GOOD)
    html = response.content.decode()
    assert "超过上限" in html
    assert token_of(response) == ""
    assert "import-preview" not in html
