"""Who may see and do what: the one place that decides access.

Roles come from :class:`campaign.models.Membership`:

- 创建办管理员 (admin) and superusers: everything.
- 督查员 (inspector): reads every unit; records inspections and findings, issues
  orders, reviews rectifications.
- 领导 (leader): reads every unit; writes nothing.
- 单位联络员 (official): reads and writes only for their own unit(s) and the
  units below them. Anything else is a 404, never a 403, so an official cannot
  even learn that another unit's object exists.

Views fetch objects with :func:`get_visible_or_404` / :func:`filter_visible`, and
ask :func:`can` (backed by django-rules permissions) before they write.
"""
from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any, TypeVar

import rules
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .models import Membership, Role, Unit

M = TypeVar("M", bound=Model)

_CACHE_ATTR = "_chuangwen_access"


class _AccessInfo:
    __slots__ = ("roles", "unit_paths", "unit_ids", "member_paths")

    def __init__(self, roles: frozenset[str], unit_paths: tuple[str, ...], unit_ids: tuple[int, ...],
                 member_paths: tuple[str, ...] = ()):
        self.roles = roles
        self.unit_paths = unit_paths
        self.unit_ids = unit_ids
        self.member_paths = member_paths  # the paths of every unit the user belongs to, in any role


def _info(user: Any) -> _AccessInfo:
    """Roles and unit paths of a user, read once per request object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _AccessInfo(frozenset(), (), ())
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = list(Membership.objects.filter(user=user).values_list("role", "unit_id", "unit__path"))
    roles = {role for role, _, _ in rows}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    official_rows = [(uid, path) for role, uid, path in rows if role == Role.OFFICIAL]
    info = _AccessInfo(
        frozenset(roles),
        tuple(path for _, path in official_rows),
        tuple(uid for uid, _ in official_rows),
        tuple(path for _, _, path in rows),
    )
    setattr(user, _CACHE_ATTR, info)
    return info


def forget(user: Any) -> None:
    """Drop the cached roles (after memberships change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def member_paths(user: Any) -> tuple[str, ...]:
    """The paths of every unit ``user`` belongs to, in any role (read once per request, with the roles)."""
    return _info(user).member_paths


def roles_of(user: Any) -> frozenset[str]:
    return _info(user).roles


def primary_role(user: Any) -> str | None:
    """The role that decides the home page and menu: admin > inspector > leader > official."""
    roles = roles_of(user)
    for role in (Role.ADMIN, Role.INSPECTOR, Role.LEADER, Role.OFFICIAL):
        if role in roles:
            return role
    return None


@rules.predicate
def is_admin(user: Any) -> bool:
    return Role.ADMIN in roles_of(user)


@rules.predicate
def is_inspector(user: Any) -> bool:
    return Role.INSPECTOR in roles_of(user)


@rules.predicate
def is_leader(user: Any) -> bool:
    return Role.LEADER in roles_of(user)


@rules.predicate
def is_official(user: Any) -> bool:
    return Role.OFFICIAL in roles_of(user)


@rules.predicate
def sees_all_units(user: Any) -> bool:
    return bool(roles_of(user) & {Role.ADMIN, Role.INSPECTOR, Role.LEADER})


def _unit_path_of(obj: Any) -> str | None:
    if obj is None:
        return None
    if isinstance(obj, Unit):
        return obj.path
    unit = getattr(obj, "unit", None)
    return unit.path if isinstance(unit, Unit) else None


@rules.predicate
def is_official_of(user: Any, obj: Any) -> bool:
    """The object's unit is one of the user's official units or below it."""
    path = _unit_path_of(obj)
    if not path:
        return False
    return any(path.startswith(own) for own in _info(user).unit_paths)


@rules.predicate
def can_view(user: Any, obj: Any) -> bool:
    return sees_all_units(user) or is_official_of(user, obj)


# Permissions, named after the action. Views ask ``can(user, "perm", obj)``.
PERMISSIONS = {
    "campaign.view_unit_object": can_view,
    "campaign.manage": is_admin,
    "tasks.report_progress": is_admin | is_official_of,
    "tasks.mark_complete": is_admin | is_official_of,
    "tasks.accept": is_admin,
    "tasks.manage": is_admin,
    "inspections.record": is_admin | is_inspector,
    "inspections.withdraw_finding": is_admin | is_inspector,
    "inspections.issue_order": is_admin | is_inspector,
    "inspections.review_rectification": is_admin | is_inspector,
    "inspections.submit_rectification": is_admin | is_official_of,
    "inspections.appeal": is_official_of,
    "inspections.manage": is_admin,
    # 材料审核: the office writes requirements and reviews (inspectors too where the campaign allows it:
    # materials.services.can_review adds that check); a unit submits only for itself.
    "materials.manage": is_admin,
    "materials.review": is_admin | is_inspector,
    "materials.submit": is_official_of,
    "reports.view_all": sees_all_units,
    "reports.publish": is_admin,
    "reports.request": is_admin | is_leader,
    "audit.view": is_admin | is_leader,
    # 消息推送记录: what was sent to whom and what failed; the office resends.
    "notices.view_log": is_admin,
    # 工作台账: the office and the unit's officials write; everyone who sees the unit reads.
    "ledgers.edit": is_admin | is_official_of,
    # 问卷调查: the office builds surveys; the office and leaders read results; inspectors, the office and
    # unit officials (volunteers' accounts) interview door to door — officials only in their own areas.
    "surveys.manage": is_admin,
    "surveys.view_results": sees_all_units,
    "surveys.interview": is_admin | is_inspector | is_official,
    # 随手拍: the office and inspectors triage residents' reports; leaders read the figures. Officials follow
    # the findings made from reports in inspections, like any other finding of their unit.
    "snaps.triage": is_admin | is_inspector,
    "snaps.view_figures": sees_all_units,
}

for _name, _predicate in PERMISSIONS.items():
    if not rules.perm_exists(_name):
        rules.add_perm(_name, _predicate)


def can(user: Any, perm: str, obj: Any = None) -> bool:
    if perm not in PERMISSIONS:
        raise KeyError(f"unknown permission {perm!r}")
    return bool(getattr(user, "is_active", False)) and rules.has_perm(perm, user, obj)


def sees_month_ranking(user: Any, *, published: bool) -> bool:
    """Whether ``user`` sees every unit's rank and the city-wide figures of a month.

    Admins, inspectors and leaders always (an open month is their preview). Unit officials only
    once the month is published: the bulletin and all units' ranks are then public to every unit
    (每月公布考核结果); before that they see their own units' live rows only. Other units' score
    lines (the explanation pages) stay private either way."""
    return bool(sees_all_units(user) or (published and is_official(user)))


def unit_q(user: Any, field: str = "unit") -> Q:
    """A filter keeping rows whose ``field`` (a Unit FK path) the user may see.

    ``field=""`` filters a Unit queryset itself.
    """
    if sees_all_units(user):
        return Q()
    paths = _info(user).unit_paths
    if not paths:
        return Q(pk__in=[])
    prefix = f"{field}__path__startswith" if field else "path__startswith"
    return reduce(or_, (Q(**{prefix: path}) for path in paths))


def filter_visible(user: Any, queryset: QuerySet[M], field: str = "unit") -> QuerySet[M]:
    return queryset.filter(unit_q(user, field))


def get_visible_or_404(user: Any, queryset: QuerySet[M], field: str = "unit", **lookup: Any) -> M:
    """Fetch one object the user may see, or raise 404 (also for objects of other units)."""
    try:
        return filter_visible(user, queryset, field).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404("未找到该对象，或您无权查看。") from None


def own_units(user: Any) -> QuerySet[Unit]:
    """The units an official answers for directly (their membership units)."""
    return Unit.objects.filter(pk__in=_info(user).unit_ids)


def visible_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(unit_q(user, ""))
