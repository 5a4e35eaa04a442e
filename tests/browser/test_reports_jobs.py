"""The report job page updates its progress in place (htmx polling, no reload) and offers the download."""
from __future__ import annotations

import datetime as dt

import pytest

from reports.models import JobStatus, ReportJob

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def test_the_job_page_shows_progress_then_the_download_without_a_reload(browser_world, open_page, tmp_path):
    w = browser_world
    job = ReportJob.objects.create(
        kind="workbook-xlsx", campaign=w.campaign, month=dt.date(2026, 10, 1), requested_by=w.admin,
        status=JobStatus.RUNNING, progress=45, message="正在写入扣分明细",
    )
    page = open_page(w.admin, viewport=DESKTOP)
    page.goto(f"{page.base_url}/reports/jobs/{job.pk}/")
    page.evaluate("window.__same_page = true")  # survives only if the page is never reloaded
    assert page.get_by_test_id("job-message").inner_text() == "正在写入扣分明细"
    assert "45%" in page.locator(".progress").inner_text()

    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, progress=100, message="已生成，可以下载", file="reports/x.xlsx", filename="泰和市2026年10月考核数据.xlsx",
    )
    page.get_by_test_id("job-download").wait_for(timeout=10_000)
    assert page.get_by_test_id("job-status").inner_text() == "已完成"
    assert page.evaluate("window.__same_page") is True
    page.screenshot(path=str(tmp_path / "job-done.png"), full_page=True)


def test_a_failed_job_says_why_on_a_phone(browser_world, open_page):
    w = browser_world
    job = ReportJob.objects.create(
        kind="bulletin-pdf", campaign=w.campaign, month=dt.date(2026, 10, 1), requested_by=w.leader,
        status=JobStatus.FAILED, message="生成失败", error="生成超时：报表数据量过大或服务器繁忙，已停止生成。",
    )
    page = open_page(w.leader, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/jobs/{job.pk}/")
    assert "生成超时" in page.get_by_test_id("job-error").inner_text()
    assert page.get_by_role("button", name="重试").is_visible()
