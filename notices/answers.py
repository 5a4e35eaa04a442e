"""A delivery's answer in words: what the office reads on 消息推送记录 instead of the gateway's raw reply.

``Delivery.answer`` keeps what the provider said, as :mod:`notices.channels` and
``services.deliver`` write it: ``HTTP <status> <body>`` from the robots and the SMS gateway (the body
often JSON with ``errcode``/``errmsg`` or ``code``/``message``, keys in any case: 阿里云 answers ``Code``/``Message``), ``<Exception>: <text>`` when the
call failed, or a Chinese sentence of our own. :func:`summary` turns it into 成功 or 失败：<reason>,
naming the common codes of the gateways the project talks to (企业微信/政务微信 and 钉钉 robots,
阿里云-style SMS platforms) and ``网关返回错误代码 N`` for any other code. The raw answer stays on the
page (in a collapsed detail) for whoever debugs the gateway.
"""
from __future__ import annotations

import json
import re

# 企业微信 / 政务微信 group robots (errcode).
WECOM_CODES: dict[int, str] = {
    -1: "企业微信系统繁忙，请稍后再试",
    40008: "消息类型不合法",
    40058: "消息参数不合法",
    44004: "消息内容为空",
    45002: "消息内容超过长度限制",
    45009: "发送太频繁，超过接口调用限制",
    93000: "工作群机器人地址（webhook）无效",
    93004: "工作群机器人已被停用",
    93008: "机器人已不在该工作群中",
}
# 钉钉 group robots (errcode); 310000 is the robot's security setting, named more closely by errmsg below.
DINGTALK_CODES: dict[int, str] = {
    310000: "未通过机器人安全设置校验",
    300001: "机器人 access_token 无效",
    400101: "机器人 access_token 不存在",
    400013: "工作群已解散",
    130101: "发送太频繁，机器人每分钟最多 20 条",
    410100: "发送太频繁，机器人已被限流",
}
DINGTALK_310000 = (  # (part of errmsg, reason)
    ("sign not match", "机器人加签密钥不匹配，请核对签名密钥（SECRET）"),
    ("keywords not in content", "消息不含机器人设置的自定义关键词"),
    ("not in whitelist", "服务器地址不在机器人的 IP 白名单中"),
)
# SMS platforms (阿里云-style string codes; most government SMS platforms answer alike).
SMS_CODES: dict[str, str] = {
    "isp.SYSTEM_ERROR": "短信平台系统繁忙，请稍后再试",
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式不正确",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码数量超过限制",
    "isv.BUSINESS_LIMIT_CONTROL": "发送太频繁，触发短信平台流量控制",
    "isv.DAY_LIMIT_CONTROL": "已达到当日发送上限",
    "isv.AMOUNT_NOT_ENOUGH": "短信账户余额不足",
    "isv.OUT_OF_SERVICE": "短信业务已停机",
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不合法或未审核通过",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不合法或未审核通过",
    "isv.BLACK_KEY_CONTROL_LIMIT": "短信内容含有平台禁止的关键词",
    "isv.ACCOUNT_ABNORMAL": "短信账户异常",
    "SignatureDoesNotMatch": "短信平台密钥签名不匹配",
    "InvalidAccessKeyId.NotFound": "短信平台 AccessKey 不存在",
}
HTTP_STATUSES: dict[int, str] = {
    400: "网关拒绝了请求格式",
    401: "网关拒绝访问（账号或密钥错误）",
    403: "网关拒绝访问（账号或密钥错误）",
    404: "网关地址不存在",
    429: "发送太频繁，网关限流",
}
_HTTP = re.compile(r"^HTTP (\d{3}) ?(.*)$", re.S)
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout|timeout)): ?(.*)$", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def summary(ok: bool, answer: str) -> str:
    """``成功``, or ``失败：`` and the reason in Chinese (see the module docstring)."""
    if ok:
        return "成功"
    return f"失败：{reason(answer or '')}"


def reason(answer: str) -> str:
    """Why a delivery failed, in Chinese, from the answer stored with it."""
    answer = answer.strip()
    if not answer:
        return "网关无应答"
    http = _HTTP.match(answer)
    if http is not None:
        return _http_reason(int(http.group(1)), http.group(2).strip())
    exception = _EXCEPTION.match(answer)
    if exception is not None:
        return _exception_reason(exception.group(1), exception.group(2))
    if _CJK.search(answer):
        return answer  # our own words (渠道未配置或接收方无地址 …)
    return "发送出错"


def _http_reason(status: int, body: str) -> str:
    if body.startswith("无法解析的应答"):
        return "网关应答无法识别"
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        coded = _code_reason(data)
        if coded:
            return coded
    if status in HTTP_STATUSES:
        return f"{HTTP_STATUSES[status]}（HTTP {status}）"
    if status >= 500:
        return f"网关服务器出错（HTTP {status}）"
    if 200 <= status < 300:
        return "网关应答中没有成功标志"
    return f"网关返回错误代码 HTTP {status}"


def _code_reason(data: dict) -> str:
    """The reason for a JSON answer's error code, or "" when it carries none (or says 0/OK).

    Keys are read whatever their case: robots answer ``errcode``/``errmsg``, 阿里云-style SMS platforms
    ``Code``/``Message`` (success ``"Code":"OK"``), others ``code``/``message``/``msg``.
    """
    data = {str(key).lower(): value for key, value in data.items()}
    if "errcode" in data:
        code, text = data.get("errcode"), str(data.get("errmsg") or "")
    elif "code" in data:
        code, text = data.get("code"), str(data.get("message") or data.get("msg") or "")
    else:
        return ""
    if code in (0, "0", None) or (isinstance(code, str) and code.strip().upper() == "OK"):
        return ""
    if isinstance(code, int) and not isinstance(code, bool):
        if code == 310000:
            for part, words in DINGTALK_310000:
                if part in text:
                    return words
        known = WECOM_CODES.get(code) or DINGTALK_CODES.get(code)
    else:
        known = SMS_CODES.get(str(code))
    if known:
        return known
    own_words = f"：{text[:60]}" if _CJK.search(text) else ""
    return f"网关返回错误代码 {code}{own_words}"


def _exception_reason(name: str, text: str) -> str:
    lowered = f"{name} {text}".lower()
    if "timed out" in lowered or "timeout" in lowered:
        return "连接网关超时"
    if "refused" in lowered:
        return "无法连接网关（连接被拒绝）"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return "网关域名无法解析"
    if "unreachable" in lowered:
        return "网关网络不可达"
    if name.startswith("SMTP") or "smtp" in lowered:
        return "邮件服务器拒绝或无法连接"
    if "ssl" in lowered or "certificate" in lowered:
        return "与网关的加密连接失败（证书或协议）"
    if name == "ConnectionError" or "连接失败" in text:
        return "无法连接网关"
    return f"发送出错（{name}）"
