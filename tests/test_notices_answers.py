"""Gateways' answers in words (notices/answers.py) and SMS success (notices/channels.py), with answers shaped
as the real gateways send them: keys in the gateway's own case."""
from __future__ import annotations

import pytest

from notices.answers import reason, summary
from notices.channels import SmsGateway, Target

ALIYUN_LIMIT = ('HTTP 200 {"Message":"触发号码天级流控Permits:10","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990",'
                '"Code":"isv.BUSINESS_LIMIT_CONTROL"}')
ALIYUN_OK = ('HTTP 200 {"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990",'
             '"BizId":"900619746936498440^0","Code":"OK"}')


@pytest.mark.parametrize(("answer", "words"), [
    (ALIYUN_LIMIT, "发送太频繁，触发短信平台流量控制"),
    ('HTTP 200 {"Message":"账户余额不足","RequestId":"A1","Code":"isv.AMOUNT_NOT_ENOUGH"}', "短信账户余额不足"),
    ('HTTP 400 {"Message":"Specified signature is not matched with our calculation.","RequestId":"B2",'
     '"Code":"SignatureDoesNotMatch"}', "短信平台密钥签名不匹配"),
    ('HTTP 200 {"Message":"签名不存在","Code":"isv.UNKNOWN_NEW_CODE"}', "网关返回错误代码 isv.UNKNOWN_NEW_CODE：签名不存在"),
    ('HTTP 500 {"code":"isp.SYSTEM_ERROR","message":"System busy"}', "短信平台系统繁忙，请稍后再试"),
    ('HTTP 200 {"errcode":93000,"errmsg":"invalid webhook url, hint: [1600000000_1_abc]"}', "工作群机器人地址（webhook）无效"),
    ('HTTP 200 {"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc]"}',
     "机器人加签密钥不匹配，请核对签名密钥（SECRET）"),
    ('HTTP 200 {"ErrCode":45009,"ErrMsg":"api freq out of limit"}', "发送太频繁，超过接口调用限制"),
])
def test_a_real_shaped_error_answer_is_named(answer, words):
    assert reason(answer) == words
    assert summary(False, answer) == f"失败：{words}"


def test_an_aliyun_success_answer_carries_no_error_code():
    # Counted failed only if the success text did not match: then it is no gateway error code.
    assert reason(ALIYUN_OK) == "网关应答中没有成功标志"
    assert summary(True, ALIYUN_OK) == "成功"


@pytest.mark.parametrize(("ok_text", "body", "ok"), [
    ('"code":"OK"', ALIYUN_OK.removeprefix("HTTP 200 "), True),  # the documented example, 阿里云's answer
    ('"Code":"OK"', '{"Message": "OK", "Code": "OK"}', True),
    ('"code":"OK"', ALIYUN_LIMIT.removeprefix("HTTP 200 "), False),
    ('"errcode": 0', '{"errcode":0,"errmsg":"ok"}', True),
    ('"code":0', '{"code":500,"msg":"余额不足"}', False),
])
def test_sms_success_text_is_found_whatever_its_case_and_spacing(settings, monkeypatch, ok_text, body, ok):
    settings.NOTICE_SMS_URL = "https://sms.example.invalid/send"
    settings.NOTICE_SMS_BODY = '{"mobile": "$mobile", "content": "$text"}'
    settings.NOTICE_SMS_OK_TEXT = ok_text
    monkeypatch.setattr("notices.channels.http_call", lambda *a, **k: (200, body))
    result = SmsGateway().send(Target(mobile="13800000001"), "新问题", "x")
    assert result.ok is ok and result.answer == f"HTTP 200 {body}"
