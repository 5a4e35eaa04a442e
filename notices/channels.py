"""Outside channels: e-mail, SMS gateway, 企业微信/政务微信 and 钉钉 group robots.

Each channel is one small class with ``available(target)`` (is it configured, does the recipient
have an address on it) and ``send(target, title, text)`` returning a :class:`Result` with the
provider's answer. Nothing here touches the database or Celery: ``notices.services.deliver``
decides order, fallback and retries; tests call these against local servers.

Credentials are never stored in the database. The SMS gateway and e-mail come from settings
(environment, config/settings.py); a unit's robot stores only a key name and the webhook address
and signing secret are read from ``NOTICE_ROBOT_<KEY>_URL`` / ``NOTICE_ROBOT_<KEY>_SECRET`` at
send time (docs/notifications.md).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from string import Template
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail

from .models import Channel


@dataclass(frozen=True)
class Target:
    """Where one notice goes: a person (email, mobile) or a unit's robot (kind, key name)."""

    email: str = ""
    mobile: str = ""
    robot_kind: str = ""
    robot_key: str = ""


@dataclass(frozen=True)
class Result:
    ok: bool
    answer: str


class ChannelBackend(Protocol):
    def available(self, target: Target) -> bool: ...

    def send(self, target: Target, title: str, text: str) -> Result: ...


def _timeout() -> float:
    return float(getattr(settings, "NOTICE_HTTP_TIMEOUT", 5))


def http_call(url: str, *, method: str = "POST", body: bytes | None = None, content_type: str = "application/json") -> tuple[int, str]:
    """One HTTP request; returns (status, body text). Connection errors raise ``OSError``."""
    request = urllib.request.Request(url, data=body if method != "GET" else None, method=method)
    if body is not None and method != "GET":
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310 (configured URLs only)
            return response.status, response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000).decode("utf-8", "replace") if exc.fp else ""
    except urllib.error.URLError as exc:  # refused, unreachable, DNS: say what the network said
        raise ConnectionError(f"连接失败：{exc.reason}") from exc


def _robot_answer(status: int, text: str) -> Result:
    """WeCom and DingTalk answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; anything else failed."""
    if status != 200:
        return Result(False, f"HTTP {status} {text}"[:500])
    try:
        code = json.loads(text).get("errcode")
    except (ValueError, AttributeError):
        return Result(False, f"HTTP 200 无法解析的应答：{text}"[:500])
    return Result(code == 0, f"HTTP 200 {text}"[:500])


def robot_env(key_name: str, part: str) -> str:
    return os.environ.get(f"NOTICE_ROBOT_{key_name.upper()}_{part}", "")


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    """DingTalk's 加签: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


class WeComRobot:
    """企业微信 / 政务微信 group robot: ``{"msgtype": "markdown", "markdown": {"content": ...}}``."""

    def available(self, target: Target) -> bool:
        return target.robot_kind == Channel.WECOM and bool(robot_env(target.robot_key, "URL"))

    def payload(self, title: str, text: str) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}

    def send(self, target: Target, title: str, text: str) -> Result:
        body = json.dumps(self.payload(title, text), ensure_ascii=False).encode("utf-8")
        return _robot_answer(*http_call(robot_env(target.robot_key, "URL"), body=body))


class DingTalkRobot:
    """钉钉 group robot: ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``, signed if a secret is set."""

    def available(self, target: Target) -> bool:
        return target.robot_kind == Channel.DINGTALK and bool(robot_env(target.robot_key, "URL"))

    def payload(self, title: str, text: str) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n{text}"}}

    def send(self, target: Target, title: str, text: str) -> Result:
        url = robot_env(target.robot_key, "URL")
        secret = robot_env(target.robot_key, "SECRET")
        if secret:
            url = dingtalk_signed_url(url, secret)
        body = json.dumps(self.payload(title, text), ensure_ascii=False).encode("utf-8")
        return _robot_answer(*http_call(url, body=body))


class SmsGateway:
    """A generic HTTP SMS gateway: providers differ, so URL, method and body are templates.

    ``$mobile`` and ``$text`` are substituted, escaped for where they land: JSON string content
    for a JSON body, form encoding for a form body or a GET URL. Success is a 2xx answer that
    contains ``NOTICE_SMS_OK_TEXT`` when that is set (some gateways answer 200 with an error code), compared
    without case and white space (阿里云 answers ``"Code":"OK"``, the documented example is ``"code":"OK"``).
    """

    def available(self, target: Target) -> bool:
        return bool(getattr(settings, "NOTICE_SMS_URL", "")) and bool(target.mobile)

    def request(self, mobile: str, text: str) -> tuple[str, str, bytes | None, str]:
        method = getattr(settings, "NOTICE_SMS_METHOD", "POST").upper()
        content_type = getattr(settings, "NOTICE_SMS_CONTENT_TYPE", "application/json")
        quote = urllib.parse.quote_plus
        url = Template(settings.NOTICE_SMS_URL).safe_substitute(mobile=quote(mobile), text=quote(text))
        if method == "GET":
            return method, url, None, content_type
        if "json" in content_type:
            def esc(value: str) -> str:
                return json.dumps(value, ensure_ascii=False)[1:-1]
        else:
            esc = quote
        body = Template(settings.NOTICE_SMS_BODY).safe_substitute(mobile=esc(mobile), text=esc(text))
        return method, url, body.encode("utf-8"), content_type

    def send(self, target: Target, title: str, text: str) -> Result:
        method, url, body, content_type = self.request(target.mobile, f"【{title}】{text}")
        status, answer = http_call(url, method=method, body=body, content_type=content_type)
        ok_text = getattr(settings, "NOTICE_SMS_OK_TEXT", "")
        ok = 200 <= status < 300 and (not ok_text or _loose(ok_text) in _loose(answer))
        return Result(ok, f"HTTP {status} {answer}"[:500])


def _loose(text: str) -> str:
    """``text`` without white space and case: ``"code":"OK"`` is found in 阿里云's ``"Code": "OK"``."""
    return re.sub(r"\s+", "", text).casefold()


class Email:
    def available(self, target: Target) -> bool:
        return bool(settings.EMAIL_HOST) and bool(target.email)

    def send(self, target: Target, title: str, text: str) -> Result:
        send_mail(f"创文提醒：{title}", text, None, [target.email])
        return Result(True, f"已交给邮件服务器 {settings.EMAIL_HOST}")


BACKENDS: dict[str, ChannelBackend] = {
    Channel.EMAIL: Email(),
    Channel.SMS: SmsGateway(),
    Channel.WECOM: WeComRobot(),
    Channel.DINGTALK: DingTalkRobot(),
}
