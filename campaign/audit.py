"""The audit log: who did what to which object, when, from where, before and after.

Every service that changes something that matters calls :func:`record`. The
log is append-only for the application: no view or admin action edits or
deletes it (only ``purge_audit`` removes rows older than the retention period).
"""
from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.http import HttpRequest
from django.urls import NoReverseMatch

from . import access
from .audit_secrets import Shown, secret_free_text, shown  # noqa: F401 (the log's readers use them from here)
from .models import AuditLog, Unit

RETENTION_DAYS = 180


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from (REMOTE_ADDR; behind a proxy, set it there)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    return value


def snapshot(obj: Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids), ready for before/after.

    Fields the model names in ``audit_secret_fields`` (a 随手拍's query code) are left out.
    """
    data = {}
    secret = set(getattr(obj, "audit_secret_fields", ()))
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in secret or field.attname in secret:
            continue
        data[field.attname] = _jsonable(getattr(obj, field.attname))
    return data


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Model | None = None,
    unit: Unit | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> AuditLog:
    """Append one audit row. ``action`` is a dotted verb such as ``finding.create``."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if unit is None and obj is not None:
        candidate = getattr(obj, "unit", None)
        unit = candidate if isinstance(candidate, Unit) else (obj if isinstance(obj, Unit) else None)
    return AuditLog.objects.create(
        actor=actor,
        actor_name=actor_name or (actor.get_username() if actor is not None else ""),
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        unit=unit,
        ip_address=client_ip(request),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        message=message[:300],
    )


# Action prefixes offered in the search form (the first dotted word of ``action``).
ACTION_GROUPS: list[tuple[str, str]] = [
    ("auth", "登录与账户安全"),
    ("user", "账户与权限"),
    ("membership", "单位成员"),
    ("task", "任务"),
    ("ledger", "工作台账"),
    ("inspection", "检查"),
    ("checklist", "清单检查"),
    ("finding", "问题与扣分"),
    ("rectification", "整改审核"),
    ("order", "督办单"),
    ("appeal", "申诉"),
    ("correction", "更正"),
    ("bonus", "加分"),
    ("accountability", "问责"),
    ("material", "材料审核"),
    ("survey", "问卷调查"),
    ("snap", "随手拍"),
    ("period", "月度考核发布/撤销"),
    ("import", "数据导入"),
    ("report", "报表"),
    ("file", "文件下载与导出"),
    ("notice", "消息推送"),
    ("audit", "审计日志"),
]

# The Chinese name of every action the site records: the one mapping the audit page, the admin and
# the audit export read. tests/test_audit_words.py fails when code records an action missing here.
ACTION_LABELS: dict[str, str] = {
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.lockout": "登录锁定",
    "auth.unlock": "解除锁定",
    "auth.logout": "退出登录",
    "auth.password_change": "修改密码",
    "user.create": "新建账户",
    "user.permissions": "修改账户权限",
    "user.groups": "修改用户组",
    "user.user_permissions": "修改用户权限",
    "membership.create": "新增单位成员",
    "membership.update": "修改单位成员",
    "membership.delete": "删除单位成员",
    "task.progress": "填报任务进展",
    "task.complete": "任务完成",
    "task.accept": "任务验收",
    "task.return": "任务退回",
    "task.deadline": "调整任务完成时限",
    "ledger.create": "新增台账记录",
    "ledger.update": "修改台账记录",
    "ledger.delete": "删除台账记录",
    "inspection.create": "新建检查",
    "checklist.record": "记录清单检查",
    "checklist.matrix": "批量记录清单检查",
    "finding.create": "登记问题",
    "finding.photos": "补充问题照片",
    "finding.withdraw": "撤销问题",
    "finding.rescore": "申诉改分",
    "finding.overdue_penalty": "逾期整改扣分",
    "finding.overdue_penalty_cancel": "取消逾期整改扣分",
    "rectification.submit": "提交整改",
    "rectification.accept": "整改通过",
    "rectification.return": "整改退回",
    "order.issue": "签发督办单",
    "order.overdue": "督办单逾期",
    "appeal.submit": "提出申诉",
    "appeal.decide": "裁定申诉",
    "correction.create": "录入更正记录",
    "bonus.create": "申报加分",
    "bonus.approve": "批准加分",
    "bonus.reject": "驳回加分",
    "accountability.create": "录入问责",
    "material.requirement": "设定申报要求",
    "material.submit": "提交申报材料",
    "material.review": "审核申报材料",
    "material.score": "材料审核评分",
    "survey.status": "修改问卷状态",
    "survey.rule": "修改问卷计分规则",
    "survey.quota": "修改问卷配额",
    "survey.question_add": "新增问卷题目",
    "survey.question_delete": "删除问卷题目",
    "survey.response_delete": "删除答卷",
    "snap.submit": "群众提交随手拍",
    "snap.file": "随手拍转为问题",
    "snap.decline": "随手拍不予受理",
    "snap.merge": "随手拍合并重复",
    "period.publish": "发布月度考核",
    "period.revoke": "撤销发布",
    "period.digest_broken": "发布数据被改动",
    "import.apply": "数据导入",
    "report.request": "申请生成报表",
    "report.retry": "重试生成报表",
    "report.download": "下载报表",
    "file.download": "下载文件",
    "notice.resend": "重新推送消息",
    "audit.export": "导出审计日志",
    "audit.purge": "清理审计日志",
}


def action_label(action: str, after: Any = None) -> str:
    """The Chinese name of an action code, e.g. ``finding.create`` → 登记问题.

    An import names what it imported (``导入了测评体系``) when its row says so. A code missing from
    :data:`ACTION_LABELS` (an old row) falls back to its group, then to the code itself.
    """
    if action == "import.apply" and isinstance(after, dict) and after.get("kind_label"):
        return f"导入了{after['kind_label']}"
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    group = dict(ACTION_GROUPS).get(action.split(".", 1)[0])
    return group or action


def object_type_label(object_type: str) -> str:
    """``campaign.Campaign`` → 创建活动 (the model's Chinese name); unknown types stay as they are."""
    if not object_type:
        return ""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


@dataclass(frozen=True)
class RowWords:
    """One audit row in words: what was done, to what kind of object, and where that object is now."""

    action: str  # 登录成功
    object_type: str  # 创建活动
    url: str  # "" when the object has no page or no longer exists


def describe(rows: Iterable[AuditLog], user: Any = None) -> dict[int, RowWords]:
    """Words and links for a page of audit rows: one query per object type on the page, not per row.

    The link is the object's ``get_absolute_url`` where its model has one (a task, a finding, a
    督办单 …); the page it leads to checks access as always. A model whose page needs a permission
    the reader lacks names it as ``audit_link_permission`` and gets no link for that reader (a leader
    reads the audit log but may not open a 随手拍: the link was a 404).
    """
    rows = list(rows)
    ids_by_type: dict[str, set[str]] = {}
    for row in rows:
        if row.object_type and row.object_id:
            ids_by_type.setdefault(row.object_type, set()).add(row.object_id)
    urls: dict[tuple[str, str], str] = {}
    for object_type, ids in ids_by_type.items():
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        if not hasattr(model, "get_absolute_url"):
            continue
        permission = getattr(model, "audit_link_permission", "")
        if user is not None and permission and not access.can(user, permission):
            continue
        pks = [pk for pk in ids if pk.isdigit()]
        for obj in model._default_manager.filter(pk__in=pks):
            try:
                urls[(object_type, str(obj.pk))] = obj.get_absolute_url()
            except NoReverseMatch:
                continue
    return {
        row.pk: RowWords(
            action=action_label(row.action, row.after),
            object_type=object_type_label(row.object_type),
            url=urls.get((row.object_type, row.object_id), ""),
        )
        for row in rows
    }


def search(
    *,
    person: str = "",
    unit: Unit | None = None,
    obj: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """Audit rows matching every given filter, newest first.

    ``person`` matches the account or the person's name; ``unit`` includes the
    units below it; ``obj`` matches the object's type, id or description;
    ``action`` is a prefix (``finding`` finds ``finding.create`` and
    ``finding.withdraw``); dates are local calendar days, both ends included.
    """
    from django.db.models import Q

    qs = AuditLog.objects.select_related("actor", "unit")
    if person:
        qs = qs.filter(
            Q(actor_name__icontains=person) | Q(actor__first_name__icontains=person) | Q(actor__last_name__icontains=person)
        )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if obj:
        qs = qs.filter(secret_free_text(obj, ["object_repr"]) | Q(object_type__icontains=obj) | Q(object_id=obj))
    if action:
        qs = qs.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-pk")
