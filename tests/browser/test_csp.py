"""The Content-Security-Policy in a real browser: no page breaks it, and the scripts that replaced the
inline ones (confirmations, print, pickers) still work."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from reports.services import period_publish
from tests import factories as f
from tests.inspections_support import inspection as make_inspection

pytestmark = pytest.mark.browser

# Recorded before any page script runs; the policy does not apply to Playwright's own init scripts.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " @" + e.lineNumber);
});
"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def test_no_page_violates_the_policy(browser_world, open_page):
    w = browser_world
    insp = make_inspection(w)
    task = f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_ads)
    period_publish(campaign=w.campaign, month=dt.date(2026, 10, 1), actor=w.admin, today=dt.date(2026, 11, 5), confirm_empty=True)
    w.admin.is_staff = w.admin.is_superuser = True
    w.admin.save()
    page = open_page(w.admin)
    page.add_init_script(WATCH)
    console = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    found = {}
    for path in ("/", f"/inspections/{insp.pk}/", f"/inspections/{insp.pk}/findings/new/",
                 f"/inspections/{insp.pk}/checklist/{w.point_a.pk}/", f"/tasks/{task.pk}/", "/reports/months/2026-10/",
                 "/reports/months/2026-10/bulletin/", "/reports/jobs/", "/campaign/audit/", "/admin/",
                 "/admin/tasks/task/add/", f"/admin/campaign/unit/{w.unit_a.pk}/change/", "/admin/auth/user/"):
        response = page.goto(f"{page.base_url}{path}")
        assert response.status == 200 and page.url == f"{page.base_url}{path}", path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        if _violations(page):
            found[path] = _violations(page)
    assert found == {}
    assert console == []
    # The watcher is live: an inline script added now is blocked and recorded.
    page.evaluate("var s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s)")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert _violations(page)[0].startswith("script-src")


def test_the_finding_form_pickers_work_under_the_policy(browser_world, open_page):
    w = browser_world
    insp = make_inspection(w)
    page = open_page(w.inspector)
    page.add_init_script(WATCH)
    page.goto(f"{page.base_url}/inspections/{insp.pk}/findings/new/")
    page.fill("#point-q", "人民路")
    page.locator("[data-pick-point]:has-text('人民路（城东段）')").click()
    expect(page.locator("#point-chosen")).to_be_visible()
    assert page.input_value("#id_point") == str(w.point_a.pk)
    assert _violations(page) == []


def test_a_declined_confirmation_sends_nothing_and_an_accepted_one_sends_the_form(browser_world, open_page):
    w = browser_world
    task = f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_ads)
    page = open_page(w.official_a)
    page.goto(f"{page.base_url}/tasks/{task.pk}/")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('标记完成')")
    expect(page.locator("button:has-text('标记完成')")).to_be_visible()
    assert questions == ["确认该任务已完成？完成日期记为今天。"]
    task.refresh_from_db()
    assert task.completed_on is None
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("button:has-text('标记完成')")
    task.refresh_from_db()
    assert task.completed_on is not None
