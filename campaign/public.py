"""The one place for endpoints that answer without a login (随手拍, public surveys).

Every other page of the platform needs a login; a public page is different in what it must
withstand, so every public view is wrapped by :func:`public_endpoint`, which

- lets the view run without a login (Django's ``login_not_required``, in case a
  ``LoginRequiredMiddleware`` is ever switched on) and marks it, so the access sweep
  (tests/test_access_sweep.py) can check that every anonymous page went through here;
- limits requests per client address and per device (django-ratelimit counters in the cache:
  Redis in production, process memory in development) and answers the request past the limit
  with the Chinese 429 page (``templates/429.html``) and a ``Retry-After`` header;
- gives the browser a signed device cookie (:func:`device_id`), so "one answer per device"
  (surveys) and the per-device limit have something to count that the client cannot forge.

The client address is the one the project already trusts (``campaign.audit.client_ip``,
i.e. ``REMOTE_ADDR``). Behind the documented nginx (``TRUSTED_PROXY=1``, gunicorn on
127.0.0.1) every request comes from the proxy, so there, and only when the peer is a loopback
address, the ``X-Real-IP`` header nginx sets is used instead; an IPv6 client counts by its /64
(one phone rotates through its prefix). ``X-Forwarded-For`` is never trusted.

Rates are ``"<count>/<s|m|h|d>"`` strings given per endpoint; ``settings.PUBLIC_RATES``
(``{"<group>:ip": "...", "<group>:device": "..."}``) overrides one without touching code, and
``RATELIMIT_ENABLE = False`` switches limiting off (the test settings do; the rate-limit tests
switch it on again). A cache that cannot be reached lets requests through (logged): a Redis
outage must not take the public pages down with it.

Submissions also carry a CAPTCHA (django-simple-captcha, self-hosted, image drawn with a
font installed on the server): :class:`CaptchaField` is the field public forms add. Photos
from the public go through ``campaign.uploads.prepare_photo`` (GPS and device EXIF
removed, scaled down) before they are stored.
"""
from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from captcha.fields import CaptchaField as _CaptchaField
from captcha.fields import CaptchaTextInput
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django_ratelimit.core import get_usage

from . import audit

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "cw_device"
DEVICE_SALT = "campaign.public.device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
LOOPBACK = ("127.0.0.1", "::1")

ViewFunc = Callable[..., HttpResponse]


class _CaptchaInput(CaptchaTextInput):
    """The library's widget; its image's alt text is a fixed English word in its template, said in Chinese here."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        html = super().render(name, value, attrs, renderer)
        return mark_safe(html.replace('alt="captcha"', 'alt="验证码图片"', 1))  # the library's own markup, already safe


class CaptchaField(_CaptchaField):
    """The CAPTCHA every public submission form carries, with Chinese messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label", "验证码")
        kwargs.setdefault("help_text", "请输入图中的字符（不区分大小写）；看不清可刷新页面换一张。")
        kwargs.setdefault("error_messages", {"invalid": "验证码不正确，请重新输入。", "required": "请输入验证码。"})
        kwargs.setdefault("widget", _CaptchaInput(attrs={
            "class": "form-control", "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false",
        }))
        super().__init__(*args, **kwargs)


def client_ip(request: HttpRequest) -> str:
    """The client's address as the project trusts it (see the module docstring)."""
    ip = audit.client_ip(request) or ""
    if getattr(settings, "TRUSTED_PROXY", False) and ip in LOOPBACK:
        ip = request.META.get("HTTP_X_REAL_IP", "").strip() or ip
    return ip


def _ip_bucket(ip: str) -> str:
    """The address a rate limit counts: IPv4 as it is, IPv6 by its /64 network."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def device_id(request: HttpRequest) -> str | None:
    """The device's id from its signed cookie (None when absent or forged).

    Inside a :func:`public_endpoint` a new device gets its id on its first request
    (``request.public_device``), and the response sets the cookie.
    """
    current = getattr(request, "public_device", None)
    if current:
        return current
    try:
        value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    return value or None


def device_key(request: HttpRequest) -> str:
    """A value to store against a device (``one answer per device``): a digest of its id, never the id itself."""
    return hashlib.sha256(f"{DEVICE_SALT}:{device_id(request) or ''}".encode()).hexdigest()[:32]


def _set_device_cookie(response: HttpResponse, value: str) -> None:
    response.set_signed_cookie(
        DEVICE_COOKIE, value, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
        secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
    )


def _rate(group: str, kind: str, default: str | None) -> str | None:
    return getattr(settings, "PUBLIC_RATES", {}).get(f"{group}:{kind}", default)


def too_many_requests(request: HttpRequest, *, retry_after: int = 60) -> HttpResponse:
    """The Chinese 429 page, with ``Retry-After`` (seconds)."""
    retry_after = max(1, int(retry_after))
    minutes = (retry_after + 59) // 60
    body = render_to_string("429.html", {"retry_minutes": minutes}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def limit_exceeded(request: HttpRequest, *, group: str, per_ip: str | None, per_device: str | None,
                   methods: Iterable[str] | None = None) -> int | None:
    """Count this request against ``group``'s limits; seconds to wait when one is exceeded, else None."""
    method = tuple(methods) if methods else None
    ip_value = _ip_bucket(client_ip(request))
    checks = [("ip", _rate(group, "ip", per_ip), ip_value)]
    checks.append(("device", _rate(group, "device", per_device), device_id(request) or f"ip:{ip_value}"))
    for kind, rate, value in checks:
        if not rate:
            continue
        try:
            usage = get_usage(
                request, group=f"public:{group}:{kind}", key=lambda _g, _r, v=value: v, rate=rate,
                method=method or get_usage.ALL, increment=True,
            )
        except Exception:  # the cache is down: let the request through rather than fail the page
            logger.warning("rate limit cache unavailable for %s", group, exc_info=True)
            return None
        if usage and usage["should_limit"]:
            return max(1, usage["time_left"])
    return None


def public_endpoint(group: str, *, per_ip: str | None = "60/m", per_device: str | None = None,
                    methods: Iterable[str] | None = None) -> Callable[[ViewFunc], ViewFunc]:
    """Make ``view`` a public endpoint: no login, rate limits per address and device, a device cookie.

    ``methods`` limits only those methods (e.g. ``("POST",)`` for a submission counted apart
    from the page that shows the form); by default every request counts.
    """

    def decorate(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            new_device = None
            if device_id(request) is None:
                new_device = request.public_device = secrets.token_urlsafe(18)
            wait = limit_exceeded(request, group=group, per_ip=per_ip, per_device=per_device, methods=methods)
            response = too_many_requests(request, retry_after=wait) if wait else view(request, *args, **kwargs)
            if new_device:
                _set_device_cookie(response, new_device)
            return response

        wrapped.public_endpoint = group  # type: ignore[attr-defined]
        return login_not_required(wrapped)

    return decorate


def is_public(view: Any) -> bool:
    """True for a view wrapped by :func:`public_endpoint` (the access sweep asks)."""
    return bool(getattr(view, "public_endpoint", None))


def captcha_urlpatterns() -> list:
    """The CAPTCHA's image and refresh URLs, rate limited like every public endpoint.

    Only what the widget uses: the 1× image (``CAPTCHA_2X_IMAGE = False``) and the refresh;
    no audio (it would need flite on the server).
    """
    from captcha import views as captcha_views
    from django.urls import path

    limited = public_endpoint("captcha", per_ip="60/m")
    return [
        path("image/<str:key>/", limited(captcha_views.captcha_image), {"scale": 1}, name="captcha-image"),
        path("refresh/", limited(captcha_views.captcha_refresh), name="captcha-refresh"),
    ]
