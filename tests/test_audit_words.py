"""The audit log in words (issue 17, item 3): one mapping of action codes to Chinese, used by the audit page,
the admin and the export; the object's Chinese type, its name and a link to it."""
from __future__ import annotations

import ast
import io
import re
from pathlib import Path

from django.urls import reverse
from openpyxl import load_workbook

from campaign import audit
from campaign.models import AuditLog
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
APPS = ("campaign", "notices", "ledgers", "tasks", "inspections", "materials", "surveys", "snaps", "reports", "dataload", "config")
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
# Action codes built at run time, by the source of the expression that builds them. A new dynamic
# code must be added here (and its label to campaign.audit.ACTION_LABELS).
DYNAMIC = {
    "f'user.{what}'": {"user.groups", "user.user_permissions"},
    "PASSWORD_CHANGE_ACTION": {"auth.password_change"},
    "f\"ledger.{('create' if creating else 'update')}\"": {"ledger.create", "ledger.update"},
}


def recorded_codes() -> tuple[dict[str, str], list[str]]:
    """Every action code the project's code records (code → first place), and the expressions it cannot read."""
    codes: dict[str, str] = {}
    unknown: list[str] = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "campaign" / "audit.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                exprs = [node.args[0]] if name == "record" and node.args else []
                if name == "record" or ast.unparse(node.func) == "AuditLog.objects.create":
                    exprs += [k.value for k in node.keywords if k.arg == "action"]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                for expr in exprs:
                    source = ast.unparse(expr)
                    if source in DYNAMIC:
                        for code in DYNAMIC[source]:
                            codes.setdefault(code, where)
                        continue
                    literals = [c.value for c in ast.walk(expr) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
                    if not literals or any(isinstance(c, ast.JoinedStr) for c in ast.walk(expr)):
                        unknown.append(f"{where}: {source}")
                    for value in literals:
                        if CODE.match(value):
                            codes.setdefault(value, where)
    return codes, unknown


def test_every_action_code_written_anywhere_has_a_chinese_label():
    codes, unknown = recorded_codes()
    assert not unknown, "Action codes built at run time; list them in DYNAMIC:\n" + "\n".join(unknown)
    assert {"auth.login", "import.apply", "finding.create", "period.publish", "user.groups"} <= set(codes)
    missing = [f"{code} ({where})" for code, where in sorted(codes.items()) if code not in audit.ACTION_LABELS]
    assert not missing, "Add these to campaign.audit.ACTION_LABELS:\n" + "\n".join(missing)


def test_the_dynamic_codes_are_what_the_code_builds():
    from campaign.security import PASSWORD_CHANGE_ACTION

    assert DYNAMIC["PASSWORD_CHANGE_ACTION"] == {PASSWORD_CHANGE_ACTION}


def test_an_import_says_what_it_imported_and_an_unknown_code_falls_back():
    assert audit.action_label("import.apply", {"kind": "indicators", "kind_label": "测评体系"}) == "导入了测评体系"
    assert audit.action_label("import.apply", {"kind": "units"}) == "数据导入"  # rows written before the label was kept
    assert audit.action_label("auth.login") == "登录成功"
    assert audit.object_type_label("campaign.Campaign") == "创建活动"
    assert audit.object_type_label("gone.Model") == "gone.Model"


def test_the_audit_page_shows_words_names_and_links_not_codes(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="新建公益广告宣传栏")
    audit.record("auth.login", actor=world.official_a, message="登录")
    audit.record("import.apply", actor=world.admin, obj=world.campaign,
                 after={"kind": "indicators", "kind_label": "测评体系", "rows": 3})
    audit.record("task.accept", actor=world.admin, obj=task)
    body = client_for(world.admin).get(reverse("campaign-audit")).content.decode()
    assert "登录成功" in body and "导入了测评体系" in body and "任务验收" in body
    assert ">auth.login<" not in body and ">import.apply<" not in body  # codes only in a title attribute
    assert "campaign.Campaign" not in body and "创建活动 #" in body
    assert f'<a href="{task.get_absolute_url()}">{task}</a>' in body
    assert "责任分解任务 #" in body


def test_the_page_reads_each_object_type_once_not_once_per_row(world, client_for, django_assert_max_num_queries):
    tasks = [f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title=f"任务{i}") for i in range(12)]
    for task in tasks:
        audit.record("task.accept", actor=world.admin, obj=task)
    client = client_for(world.admin)
    client.get(reverse("campaign-audit"))  # warm the session and caches
    with django_assert_max_num_queries(25):
        response = client.get(reverse("campaign-audit"))
    assert response.content.decode().count('href="/tasks/') >= 12


def test_the_export_and_the_admin_use_the_same_words(world, client_for, admin_user):
    audit.record("import.apply", actor=world.admin, obj=world.campaign, after={"kind": "units", "kind_label": "责任单位"})
    response = client_for(world.admin).get(reverse("campaign-audit-export"))
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    row = next(r for r in ws.values if r[3] == "import.apply")
    assert row[4] == "导入了责任单位" and row[5] == "创建活动"
    admin_page = client_for(admin_user).get(reverse("admin:campaign_auditlog_changelist")).content.decode()
    assert "导入了责任单位" in admin_page
    assert AuditLog.objects.filter(action="import.apply").exists()
