"""Login and session controls the 等保 reviews ask for, beyond Django's defaults.

- :class:`AxesLoginBackend` puts django-axes in front of every login made
  through a web request (lockout after repeated failures, see settings
  ``AXES_*``).
- :class:`LoginLockHandler` locks per (account, address) pair, with ceilings
  per account (credential stuffing from many addresses) and per address
  (password spraying over many accounts); see docs/security.md.
- :class:`PasswordExpiryMiddleware` sends users whose password is older than
  ``PASSWORD_MAX_AGE_DAYS`` to the password change page (0 = off, the default).
- :class:`RejectNulBytesMiddleware` answers NUL bytes in the query string with HTTP 400.
- :class:`AdminBadInputMiddleware` answers malformed ids and foreign keys in admin URLs
  (``/admin/<app>/<model>/add/?campaign=abc``, ``.../abc/history/``) with HTTP 400, not 500.
- :func:`password_changed_at` reads the last change from the audit log, so no
  extra table is needed (see ``campaign/signals.py`` for where it is written).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import Least
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .models import AuditLog

PASSWORD_CHANGE_ACTION = "auth.password_change"


class AxesLoginBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come from an HTTP request.

    Axes refuses ``authenticate()`` without a request. Code that authenticates
    without one (``manage.py`` commands, the test client's ``login()``) cannot
    come from the network, so there is nothing to throttle: we step aside and
    let the next backend decide. Every login form passes the request.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class NulByteInRequest(SuspiciousOperation):
    """A NUL character in the path or query string: no field of ours accepts one (HTTP 400)."""


def request_has_nul_byte(request: HttpRequest) -> bool:
    """True when the path, a query parameter name or a query value holds a NUL character."""
    if "\x00" in request.path_info:
        return True
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())


class RejectNulBytesMiddleware:
    """Answer requests with NUL bytes in the path or the query string with the Chinese 400 page.

    PostgreSQL refuses NUL in text, so such a value reaching a query would end in a 500.
    Raising ``SuspiciousOperation`` lets Django render ``templates/400.html`` and log the
    request on the ``django.security`` logger. Form fields (POST) are left to the forms, whose
    ``CharField`` already refuses NUL with a message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_has_nul_byte(request):
            raise NulByteInRequest("NUL byte in the request path or query string")
        return self.get_response(request)


def capped_failures(*, since: dt.datetime, pair_limit: int, username: str | None = None, ip_address: str | None = None) -> int:
    """Failures recorded since ``since`` for one account (any address) or one address (any account).

    Each (account, address) pair counts at most ``pair_limit``: a pair that is already locked
    adds nothing more, so one person retrying a locked login from one place never reaches a
    ceiling — only failures spread over many addresses (or many accounts) do.
    """
    rows = AccessAttempt.objects.filter(attempt_time__gte=since)
    if username is not None:
        rows = rows.filter(username=username)
    if ip_address is not None:
        rows = rows.filter(ip_address=ip_address)
    capped = Least("failures_since_start", Value(pair_limit), output_field=IntegerField())
    return rows.aggregate(total=Sum(capped))["total"] or 0


def lock_reason(*, pair_failures: int, account_failures: int, address_failures: int, pair_limit: int,
                account_ceiling: int, address_ceiling: int) -> str | None:
    """Which lock applies: ``"pair"``, ``"account"``, ``"address"``, or None (a ceiling of 0 is off)."""
    if pair_failures >= pair_limit:
        return "pair"
    if account_ceiling and account_failures >= account_ceiling:
        return "account"
    if address_ceiling and address_failures >= address_ceiling:
        return "address"
    return None


class LoginLockHandler(AxesDatabaseHandler):
    """django-axes' database handler with ceilings on top of the per-pair lock.

    ``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]`` makes axes count, reset on
    success and lock per (account, address) pair: one account's success never clears another
    account's failures, and one person's typos behind an office NAT lock only their own
    account from that address. On top, an account is locked from every address once its
    failures from all addresses reach ``LOGIN_ACCOUNT_FAILURE_CEILING``, and an address for
    every account once its failures reach ``LOGIN_ADDRESS_FAILURE_CEILING`` (each pair capped
    at the pair limit, see :func:`capped_failures`). Axes compares ``get_failures()`` with the
    limit both before a login and after a failure, so answering "at least the limit" here
    locks through axes' own machinery (signal, lockout page, audit).
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        account_ceiling = int(getattr(settings, "LOGIN_ACCOUNT_FAILURE_CEILING", 0) or 0)
        address_ceiling = int(getattr(settings, "LOGIN_ADDRESS_FAILURE_CEILING", 0) or 0)
        if pair >= limit or not (account_ceiling or address_ceiling):
            request.axes_lock_reason = "pair" if pair >= limit else None
            return pair
        since = get_cool_off_threshold(request)
        username = get_client_username(request, credentials)
        reason = lock_reason(
            pair_failures=pair,
            account_failures=capped_failures(since=since, pair_limit=limit, username=username) if username and account_ceiling else 0,
            address_failures=capped_failures(since=since, pair_limit=limit, ip_address=request.axes_ip_address) if address_ceiling else 0,
            pair_limit=limit, account_ceiling=account_ceiling, address_ceiling=address_ceiling,
        )
        request.axes_lock_reason = reason
        return max(pair, limit) if reason else pair


def password_changed_at(user: Any) -> dt.datetime:
    """When ``user`` last set a password: the newest audit row, else when the account was made.

    Audit rows are kept at least 180 days; if the row was purged, the change is
    older than that and any sensible maximum age has passed anyway.
    """
    last = (
        AuditLog.objects.filter(action=PASSWORD_CHANGE_ACTION, object_type=user._meta.label, object_id=str(user.pk))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return last or user.date_joined


def password_expired(user: Any, *, now: dt.datetime | None = None) -> bool:
    """True when periodic change is on and ``user``'s password is older than the maximum age."""
    max_age = int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0) or 0)
    if max_age <= 0 or not getattr(user, "is_authenticated", False):
        return False
    now = now or timezone.now()
    return now - password_changed_at(user) > dt.timedelta(days=max_age)


# Pages a user with an expired password may still open (to change it or leave).
_EXEMPT_URL_NAMES = ("campaign-password-change", "campaign-password-change-done", "logout", "login")


class PasswordExpiryMiddleware:
    """Redirect to the password change page while the password is too old (setting ``PASSWORD_MAX_AGE_DAYS``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0) and self._must_change(request):
            return redirect(f"{reverse('campaign-password-change')}?expired=1")
        return self.get_response(request)

    @staticmethod
    def _must_change(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or any(path == reverse(name) for name in _EXEMPT_URL_NAMES):
            return False
        return password_expired(user)


def accounts_unlock(*, usernames: list[str]) -> int:
    """Lift the login lock of these accounts (and of the addresses that failed only with them).

    Deletes their django-axes attempt rows; each deletion made by a signed-in
    admin is audited as ``auth.unlock`` (campaign/signals.py). Returns how many
    attempt rows were removed.
    """
    deleted = 0
    # One by one so every row's post_delete signal (the audit) fires with its own details.
    for attempt in AccessAttempt.objects.filter(username__in=usernames):
        attempt.delete()
        deleted += 1
    return deleted


class BadAdminInput(SuspiciousOperation):
    """An admin page read a malformed id or foreign key from its URL (HTTP 400)."""


def is_bad_admin_input(request: HttpRequest, exception: Exception) -> bool:
    """True for a ValueError/OverflowError/ValidationError raised while an admin page *reads* (GET/HEAD) its URL.

    The admin (and django-simple-history's history page) turns query parameters and path ids into
    model values without checking them: ``?campaign=abc`` on an add page or ``abc/history/`` ends
    in ``ValueError: Field 'id' expected a number``. Writes (POST) go through forms, which report
    bad values themselves, so they are left alone and a real bug there still shows as one.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or "admin" not in match.namespaces or request.method not in ("GET", "HEAD"):
        return False
    return isinstance(exception, (ValueError, OverflowError, ValidationError))


class AdminBadInputMiddleware:
    """Turn :func:`is_bad_admin_input` errors into the Chinese 400 page (``templates/400.html``).

    One general answer for every registered model instead of per-model patches; raising
    ``SuspiciousOperation`` lets Django render the 400 page and log on ``django.security``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_bad_admin_input(request, exception):
            raise BadAdminInput(f"malformed value in the admin URL: {exception}") from exception
        return None
