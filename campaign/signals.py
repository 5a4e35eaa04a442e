"""Audit rows for logins and permission changes, written by signal handlers.

Logins (success, failure, lockout, logout), account unlocks, password
changes, changes to a user's staff/superuser/active flags, groups and
permissions, and Membership rows (the table access rules read) all land in
the audit log here, so no view or admin page can change them silently.
"""
from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from simple_history.models import HistoricalRecords

from . import audit
from .models import Membership
from .security import PASSWORD_CHANGE_ACTION

User = get_user_model()

# Who changed something outside any web request (manage.py shell, commands, jobs).
SYSTEM_ACTOR = "system"

# User fields whose change is a permission change.
USER_PERMISSION_FIELDS = ("is_active", "is_staff", "is_superuser")


def current_request() -> HttpRequest | None:
    """The request being served, as simple_history's middleware keeps it (None outside a request)."""
    return getattr(HistoricalRecords.context, "request", None)


def _request_actor(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _who(request: HttpRequest | None) -> dict[str, Any]:
    """``actor``/``actor_name`` for a model change: the signed-in user, or "system" (shell, commands, jobs)."""
    actor = _request_actor(request)
    return {"actor": actor} if actor is not None else {"actor_name": SYSTEM_ACTOR}


# ------------------------------------------------------------------ logins


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record("auth.login", actor=user, obj=user, request=request, message="登录成功")


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Django masks the password in ``credentials``; only the account name is kept.
    username = str(credentials.get("username") or "")[:150]
    locked = bool(getattr(request, "axes_locked_out", False))
    audit.record(
        "auth.login_failed",
        actor_name=username,
        request=request,
        message="登录失败：账户或地址已锁定" if locked else "登录失败：用户名或密码错误",
    )


# What a lock covers (campaign.security.LoginLockHandler sets request.axes_lock_reason).
LOCK_MESSAGES = {
    "pair": "连续登录失败次数过多，该账户在该地址的登录已锁定",
    "account": "该账户从多个地址登录失败次数过多，账户已锁定",
    "address": "该地址对多个账户登录失败次数过多，地址已锁定",
}


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None, ip_address: str | None = None, **kwargs: Any) -> None:
    audit.record(
        "auth.lockout",
        actor_name=str(username or "")[:150],
        request=request,
        after={"username": username, "ip_address": ip_address, "scope": getattr(request, "axes_lock_reason", None)},
        message=LOCK_MESSAGES.get(getattr(request, "axes_lock_reason", None), "连续登录失败次数过多，登录已锁定"),
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, obj=user, request=request, message="退出登录")


@receiver(post_delete, sender=AccessAttempt, dispatch_uid="audit_unlock")
def audit_unlock(sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    request = current_request()
    actor = _request_actor(request)
    # Axes deletes expired attempts itself on every failed login; only an admin's delete is an unlock.
    if actor is None:
        return
    audit.record(
        "auth.unlock",
        actor=actor,
        request=request,
        before={"username": instance.username, "ip_address": instance.ip_address, "failures": instance.failures_since_start},
        message=f"解除登录锁定：{instance.username or ''} {instance.ip_address or ''}".strip(),
    )


# ------------------------------------------------------------------ users and permissions


@receiver(pre_save, sender=User, dispatch_uid="audit_user_remember")
def remember_user_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is None:
        instance._audit_before = None
        return
    instance._audit_before = (
        User.objects.filter(pk=instance.pk).values(*USER_PERMISSION_FIELDS, "password").first()
    )


@receiver(post_save, sender=User, dispatch_uid="audit_user_saved")
def audit_user_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    request = current_request()
    who = _who(request)
    before = getattr(instance, "_audit_before", None)
    now = {field: getattr(instance, field) for field in USER_PERMISSION_FIELDS}
    if created:
        audit.record("user.create", **who, obj=instance, after=now, request=request, message="新建账户")
        if instance.has_usable_password():
            audit.record(PASSWORD_CHANGE_ACTION, **who, obj=instance, request=request, message="设置密码")
        return
    if before is None:
        return
    changed_before = {f: before[f] for f in USER_PERMISSION_FIELDS if before[f] != now[f]}
    if changed_before:
        audit.record(
            "user.permissions",
            **who,
            obj=instance,
            before=changed_before,
            after={f: now[f] for f in changed_before},
            request=request,
            message="修改账户权限标志",
        )
    if before["password"] != instance.password:
        audit.record(PASSWORD_CHANGE_ACTION, **who, obj=instance, request=request, message="修改密码")


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_user_groups")
@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_perms")
def audit_user_m2m(sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set | None, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    what = "groups" if sender is User.groups.through else "user_permissions"
    request = current_request()
    names = sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set or ()))
    # From the user's side ``instance`` is the user; from the group's side it is the group.
    target = instance
    verb = {"post_add": "add", "post_remove": "remove", "post_clear": "clear"}[action]
    audit.record(
        f"user.{what}",
        **_who(request),
        obj=target,
        after={"action": verb, "items": names},
        request=request,
        message={"groups": "修改用户组", "user_permissions": "修改用户权限"}[what],
    )


# ------------------------------------------------------------------ memberships


def _membership_snapshot(row: Membership) -> dict:
    return {"user": row.user_id, "username": row.user.get_username(), "unit": row.unit_id, "unit_name": str(row.unit), "role": row.role}


@receiver(pre_save, sender=Membership, dispatch_uid="audit_membership_remember")
def remember_membership_before(sender: Any, instance: Membership, **kwargs: Any) -> None:
    old = Membership.objects.select_related("user", "unit").filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = _membership_snapshot(old) if old else None


@receiver(post_save, sender=Membership, dispatch_uid="audit_membership_saved")
def audit_membership_saved(sender: Any, instance: Membership, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    request = current_request()
    audit.record(
        "membership.create" if created else "membership.update",
        **_who(request),
        obj=instance,
        before=getattr(instance, "_audit_before", None),
        after=_membership_snapshot(instance),
        request=request,
        message=f"{'新增' if created else '修改'}单位成员：{instance.user.get_username()} · {instance.unit} · {instance.get_role_display()}",
    )


@receiver(post_delete, sender=Membership, dispatch_uid="audit_membership_deleted")
def audit_membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    request = current_request()
    audit.record(
        "membership.delete",
        **_who(request),
        obj=instance,
        before=_membership_snapshot(instance),
        request=request,
        message=f"删除单位成员：{instance.user.get_username()} · {instance.unit} · {instance.get_role_display()}",
    )
