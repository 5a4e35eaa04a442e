"""The role-aware menu. Each app adds its entries here, by URL name, in one of the groups."""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .models import Role

ALL = frozenset({Role.ADMIN, Role.INSPECTOR, Role.LEADER, Role.OFFICIAL})
OFFICE = frozenset({Role.ADMIN, Role.INSPECTOR, Role.LEADER})


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    roles: frozenset[str]
    icon: str = ""
    # One of GROUPS ("" = a top-level entry such as 首页).
    group: str = ""


GROUPS = ("工作", "督查", "考核", "数据", "管理")
GROUP_ICONS = {"工作": "briefcase", "督查": "clipboard-check", "考核": "trophy", "数据": "database", "管理": "gear"}


MENU: list[MenuItem] = [
    MenuItem("首页", "home", ALL, "house"),
    MenuItem("我的任务", "tasks-list", ALL, "list-check", group="工作"),
    MenuItem("阶段进度", "tasks-timeline", ALL, "calendar-range", group="工作"),
    MenuItem("任务统计", "tasks-dashboard", OFFICE, "bar-chart", group="工作"),
    MenuItem("每日摘要", "notices-digest", ALL, "calendar-check", group="工作"),
    MenuItem("工作台账", "ledgers-index", ALL, "journal-bookmark", group="工作"),
    MenuItem("检查督查", "inspections-list", frozenset({Role.ADMIN, Role.INSPECTOR, Role.LEADER}), "clipboard-check", group="督查"),
    MenuItem("问题整改", "inspections-findings", ALL, "exclamation-triangle", group="督查"),
    MenuItem("督办单", "inspections-orders", ALL, "file-earmark-text", group="督查"),
    MenuItem("申诉", "inspections-appeals", ALL, "chat-left-quote", group="督查"),
    MenuItem("材料审核", "materials-index", ALL, "folder-check", group="督查"),
    MenuItem("随手拍", "snaps-queue", frozenset({Role.ADMIN, Role.INSPECTOR}), "camera", group="督查"),
    MenuItem("随手拍统计", "snaps-figures", frozenset({Role.LEADER}), "camera", group="督查"),
    MenuItem("领导驾驶舱", "reports-cockpit", frozenset({Role.ADMIN, Role.LEADER}), "speedometer2", group="考核"),
    MenuItem("月度考核", "reports-months", ALL, "trophy", group="考核"),
    MenuItem("问卷调查", "surveys-list", ALL, "ui-checks", group="考核"),
    MenuItem("报表导出", "reports-jobs", frozenset({Role.ADMIN, Role.LEADER}), "download", group="数据"),
    MenuItem("工作总结", "reports-summaries", frozenset({Role.ADMIN, Role.LEADER, Role.OFFICIAL}), "file-earmark-word", group="数据"),
    MenuItem("数据导入", "tasks-import", frozenset({Role.ADMIN}), "upload", group="数据"),
    MenuItem("审计日志", "campaign-audit", frozenset({Role.ADMIN, Role.LEADER}), "journal-text", group="管理"),
    MenuItem("消息推送记录", "notices-log", frozenset({Role.ADMIN}), "send-check", group="管理"),
    MenuItem("消息设置", "notices-preferences", ALL, "bell", group="管理"),
]


def menu_for(roles: frozenset[str]) -> list[dict[str, str]]:
    items = []
    for item in MENU:
        if not (item.roles & roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            # An entry whose page is not wired (yet) is left out rather than breaking every page.
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon, "url_name": item.url_name, "group": item.group})
    return items


def menu_groups(items: list[dict[str, str]]) -> list[dict]:
    """The navbar: top-level entries and one dropdown per group, in GROUPS order.

    A group the user has no entry in is left out; a group with a single entry is shown as that
    entry (a plain link). Takes :func:`menu_for`'s items, so both read the same role filter.
    """
    top = [dict(item, entries=[]) for item in items if not item["group"]]
    for group in GROUPS:
        entries = [item for item in items if item["group"] == group]
        if len(entries) == 1:
            top.append(dict(entries[0], entries=[]))
        elif entries:
            top.append({"label": group, "icon": GROUP_ICONS.get(group, ""), "url": "", "url_name": "", "group": group,
                        "entries": entries, "active_names": [e["url_name"] for e in entries]})
    return top
