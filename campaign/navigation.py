"""The role-aware menu. Each app adds its entries here, by URL name."""
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


MENU: list[MenuItem] = [
    MenuItem("首页", "home", ALL, "house"),
    MenuItem("我的任务", "tasks-list", ALL, "list-check"),
    MenuItem("阶段进度", "tasks-timeline", ALL, "calendar-range"),
    MenuItem("任务统计", "tasks-dashboard", OFFICE, "bar-chart"),
    MenuItem("检查督查", "inspections-list", frozenset({Role.ADMIN, Role.INSPECTOR, Role.LEADER}), "clipboard-check"),
    MenuItem("问题整改", "inspections-findings", ALL, "exclamation-triangle"),
    MenuItem("督办单", "inspections-orders", ALL, "file-earmark-text"),
    MenuItem("申诉", "inspections-appeals", ALL, "chat-left-quote"),
    MenuItem("月度考核", "reports-months", ALL, "trophy"),
    MenuItem("报表导出", "reports-jobs", frozenset({Role.ADMIN, Role.LEADER}), "download"),
    MenuItem("数据导入", "tasks-import", frozenset({Role.ADMIN}), "upload"),
    MenuItem("审计日志", "campaign-audit", frozenset({Role.ADMIN, Role.LEADER}), "journal-text"),
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
        items.append({"label": item.label, "url": url, "icon": item.icon, "url_name": item.url_name})
    return items
