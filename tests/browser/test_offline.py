"""Offline capture in headless Chromium: the service worker keeps 登记问题 and 清单检查, findings and a
checklist round recorded with no signal wait in IndexedDB (photos as Blobs), survive closing the page,
and reach the server exactly once when the signal returns; a refused one stays with the server's
message until corrected. Photos are made small on the phone before upload."""
from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from inspections import services
from inspections.models import Check, Finding, FindingPhoto
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def _jpeg(path, color, size=(320, 240)):
    Image.new("RGB", size, color).save(path, "JPEG", quality=90)
    return str(path)


def _inspection(w):
    return services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="spot_check", source_level="city", date=dt.date(2026, 11, 27),
        title="11月暗访抽查",
    )


def _open_online_once(page, insp, point):
    """Visit the pages online so that the service worker keeps them (and the campaign data)."""
    base = page.base_url
    page.goto(base + "/")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for url in (f"/inspections/{insp.pk}/findings/new/", f"/inspections/{insp.pk}/checklist/{point.pk}/", "/"):
        page.goto(base + url)
        page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/")
    page.wait_for_function(
        "path => cwOffline.idb.get(path, cwOffline.dataStore).then(d => !!d)", arg=f"/inspections/offline/data/{insp.pk}.json"
    )
    # The form always says how many items wait, none included.
    expect(page.locator("[data-testid=queue-count]")).to_have_text("没有待发送的记录")


class WorkerNetwork:
    """Fail the service worker's own network requests through DevTools' Fetch domain on its target.

    Playwright's ``set_offline`` leaves the requests a service worker makes for a navigation
    untouched, so alone it would not prove that a page came from the worker's cache."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.browser.new_browser_cdp_session()
        worker = next(t for t in self.cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "service_worker")
        self.session = self.cdp.send("Target.attachToTarget", {"targetId": worker["targetId"], "flatten": False})["sessionId"]
        self.ids = iter(range(1, 10**6))
        self.answered: set[int] = set()
        self.cdp.on("Target.receivedMessageFromTarget", self._on_message)

    def _send(self, method, params, *, wait=True):
        """Send ``method`` to the worker; with ``wait``, return once the worker has answered it.

        ``Target.sendMessageToTarget`` returns when the message is handed over, not when the worker
        has applied it: without waiting for the answer, a click right after ``cut()`` could post
        before the worker intercepts anything (seen beside CI: the finding reached the server)."""
        message_id = next(self.ids)
        message = json.dumps({"id": message_id, "method": method, "params": params})
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session, "message": message})
        if wait:
            deadline = time.monotonic() + 15
            while message_id not in self.answered:
                assert time.monotonic() < deadline, f"the service worker did not answer {method} within 15 s"
                self.page.wait_for_timeout(20)  # lets Playwright deliver the worker's answer (the condition is the answer)

    def _on_message(self, event):
        message = json.loads(event["message"])
        if "id" in message:
            self.answered.add(message["id"])
        elif message.get("method") == "Fetch.requestPaused":
            self._send("Fetch.failRequest", {"requestId": message["params"]["requestId"], "errorReason": "InternetDisconnected"},
                       wait=False)

    def cut(self, url_pattern="*"):
        self._send("Fetch.enable", {"patterns": [{"urlPattern": url_pattern}]})

    def restore(self):
        self._send("Fetch.disable", {})


def _offline(page, offline=True):
    """No signal at all: the page and its service worker."""
    context = page.context
    if not hasattr(context, "_cw_worker_network"):
        context._cw_worker_network = WorkerNetwork(page)
    context.set_offline(offline)
    if offline:
        context._cw_worker_network.cut()
    else:
        context._cw_worker_network.restore()


def _queue_count(page):
    return page.locator("[data-testid=queue-count]")


def _record_finding_offline(page, *, point, indicator_code, description, photo, points=None):
    chosen = page.locator("#point-chosen [data-role=name]")
    if not (chosen.is_visible() and chosen.inner_text() == point):  # the form keeps the point for the next problem
        page.fill("#point-q", point[:3])
        page.locator("[data-pick-point]", has_text=point).first.click()
        expect(chosen).to_have_text(point)
    page.fill("#indicator-q", indicator_code)
    page.locator("[data-pick-indicator]", has_text=indicator_code).first.click()
    page.fill("textarea[name=description]", description)
    if points is not None:
        page.fill("input[name=points]", points)
    page.set_input_files("input[name=photos]", photo)
    page.click("[data-testid=save-finding]")
    expect(page.locator("[data-testid=offline-notice]")).to_contain_text("已保存在本机")


def test_findings_and_a_checklist_round_recorded_offline_reach_the_server_once(browser_world, open_page, tmp_path):
    w = browser_world
    insp = _inspection(w)
    page = open_page(w.inspector, viewport=PHONE)
    base = page.base_url
    _open_online_once(page, insp, w.point_a)
    context = page.context

    _offline(page)
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/")  # from the service worker's cache
    expect(page.locator("h1")).to_have_text("登记问题")
    # Offline searches run on the kept data: picking the point offers its type's standards (the matrix).
    page.fill("#point-q", "kanmsc")  # pinyin initials of 口岸农贸市场, from the kept search column
    expect(page.locator("#point-results [data-pick-point]")).to_have_count(1)
    expect(page.locator("#point-results")).to_contain_text("口岸农贸市场")
    page.fill("#point-q", "rml")
    page.locator("[data-pick-point]", has_text="人民路（城东段）").click()
    offered = page.locator("#indicator-results [data-pick-indicator]")
    expect(offered).to_have_count(2)
    assert offered.evaluate_all("bs => bs.map(b => b.dataset.label)") == ["1.1.1 主次干道整洁", "1.1.2 户外广告规范"]
    descriptions = ["人民路果皮纸屑未清扫", "人民路占道经营", "人民路垃圾桶满溢"]
    for i, (desc, color) in enumerate(zip(descriptions, ["red", "green", "blue"]), start=1):
        _record_finding_offline(page, point="人民路（城东段）", indicator_code="1.1.1", description=desc,
                                photo=_jpeg(tmp_path / f"现场{i}.jpg", color))
        expect(_queue_count(page)).to_have_attribute("data-count", str(i))
    # A fourth, recorded by mistake: seen in the queue and deleted before it is sent.
    _record_finding_offline(page, point="口岸农贸市场", indicator_code="1.2.1", description="误登记",
                            photo=_jpeg(tmp_path / "误.jpg", "black"))
    expect(_queue_count(page)).to_have_attribute("data-count", "4")
    mistaken = page.locator("[data-queue-item]", has_text="误登记")
    expect(mistaken).to_contain_text("口岸农贸市场")
    page.once("dialog", lambda dialog: dialog.accept())
    mistaken.locator("[data-testid=queue-delete]").click()
    expect(_queue_count(page)).to_have_attribute("data-count", "3")

    # A checklist round at 人民路: 1.1.1 passes, 1.1.2 fails with a photo.
    page.goto(f"{base}/inspections/{insp.pk}/checklist/{w.point_a.pk}/")
    page.click(f"label[for=r{w.leaf_clean.pk}pass]")
    page.click(f"label[for=r{w.leaf_ads.pk}fail]")
    page.fill(f"textarea[name=desc_{w.leaf_ads.pk}]", "公益广告占比不足")
    page.set_input_files(f"input[name=photos_{w.leaf_ads.pk}]", _jpeg(tmp_path / "广告.jpg", "yellow"))
    page.click("[data-testid=save-checklist]")
    expect(page.locator("[data-testid=offline-notice]")).to_contain_text("已保存在本机")
    expect(_queue_count(page)).to_have_attribute("data-count", "4")
    assert Finding.objects.count() == 0 and Check.objects.count() == 0

    # Close the page, open a new one, still offline: the queue is still there.
    page.close()
    page = context.new_page()
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/")
    expect(_queue_count(page)).to_have_attribute("data-count", "4")
    items = page.locator("[data-queue-item]")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text(descriptions[0])
    expect(items.nth(3)).to_contain_text("清单检查：人民路（城东段）")
    # The inspector's home (kept too) says how many wait.
    page.goto(f"{base}/")
    expect(page.locator("#offline-queue-status")).to_have_text("待发送 4 条 · 当前离线")
    expect(page.locator("[data-queue-item]")).to_have_count(4)
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/")
    # Keep a copy of the queue (Blobs included) to post it a second time below.
    page.evaluate("cwOffline.list().then(items => { window.__queueCopy = items; })")

    _offline(page, False)
    expect(_queue_count(page)).to_have_attribute("data-count", "0", timeout=30_000)

    def state():
        return (
            sorted(Finding.objects.filter(client_token__isnull=False).values_list("description", flat=True)),
            sorted(Check.objects.values_list("indicator__code", "result")),
            Finding.objects.count(),
            FindingPhoto.objects.count(),
            len(set(FindingPhoto.objects.values_list("sha256", flat=True))),
        )

    expected = (sorted(descriptions), [("1.1.1", "pass"), ("1.1.2", "fail")], 4, 4, 4)
    assert state() == expected
    # Sent in the order recorded.
    assert list(Finding.objects.filter(client_token__isnull=False).order_by("pk").values_list("description", flat=True)) == descriptions
    assert Finding.objects.get(description="公益广告占比不足").photos.count() == 1

    # Posting the same queue a second time changes nothing.
    page.evaluate("""async () => {
        for (const item of window.__queueCopy) {
            const key = item.key; delete item.key;
            await cwOffline.idb.set(key, item, cwOffline.store);
        }
        await cwOffline.render();
    }""")
    expect(_queue_count(page)).to_have_attribute("data-count", "4")
    page.click("[data-queue-send]")
    expect(_queue_count(page)).to_have_attribute("data-count", "0", timeout=30_000)
    assert state() == expected


def test_a_refused_finding_stays_with_the_servers_message_and_is_corrected(browser_world, open_page, tmp_path):
    w = browser_world
    insp = _inspection(w)
    page = open_page(w.inspector, viewport=PHONE)
    base = page.base_url
    _open_online_once(page, insp, w.point_a)
    _offline(page)
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/")
    # 0.50 is over the 0.30 a city inspection may deduct per problem.
    _record_finding_offline(page, point="人民路（城东段）", indicator_code="1.1.1", description="绿化带枯死未补种",
                            photo=_jpeg(tmp_path / "绿化.jpg", "green"), points="0.50")
    _offline(page, False)
    error = page.locator("[data-testid=queue-error]")
    expect(error).to_have_text("未被接收：扣分 0.50 分超过规则允许的上限：市级检查每个问题扣 0.30 分。", timeout=30_000)
    expect(_queue_count(page)).to_have_attribute("data-count", "1")
    assert Finding.objects.count() == 0

    # Re-open it in the form: everything is filled in again, photo included; correct the points and save.
    page.click("[data-testid=queue-edit]")
    expect(page.locator("[data-testid=offline-reopened]")).to_contain_text("扣分 0.50 分超过规则允许的上限")
    expect(page.locator("textarea[name=description]")).to_have_value("绿化带枯死未补种")
    expect(page.locator("#point-chosen [data-role=name]")).to_have_text("人民路（城东段）")
    assert page.evaluate("document.querySelector('input[name=photos]').files.length") == 1
    page.fill("input[name=points]", "0.20")
    page.click("[data-testid=save-finding]")
    expect(_queue_count(page)).to_have_attribute("data-count", "0", timeout=30_000)
    finding = Finding.objects.get()
    assert (finding.description, str(finding.points), finding.photos.count()) == ("绿化带枯死未补种", "0.20", 1)


def test_a_12_megapixel_photo_is_stored_at_most_1600_px(browser_world, open_page, tmp_path):
    w = browser_world
    insp = _inspection(w)
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/inspections/{insp.pk}/findings/new/?point={w.point_a.pk}")
    page.fill("#indicator-q", "1.1.1")
    page.locator("[data-pick-indicator]", has_text="1.1.1").first.click()
    page.fill("textarea[name=description]", "路面坑洼")
    # A noisy 4000 × 3000 photo, as a phone camera takes it (several MB).
    big = tmp_path / "相机.jpg"
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(big, "JPEG", quality=95)
    assert big.stat().st_size > 2_000_000
    page.set_input_files("input[name=photos]", str(big))
    page.click("[data-testid=save-finding]")
    page.wait_for_selector("[data-testid=finding-status]")
    photo = Finding.objects.get().photos.get()
    with photo.file.open("rb") as fh:
        data = fh.read()
    with Image.open(io.BytesIO(data)) as img:
        assert (img.format, img.size) == ("JPEG", (1600, 1200))
    assert photo.size == len(data) < 2_000_000


def test_the_checklist_of_a_point_never_opened_online_is_built_from_the_kept_data(browser_world, open_page, tmp_path):
    w = browser_world
    insp = _inspection(w)
    page = open_page(w.inspector, viewport=PHONE)
    base = page.base_url
    _open_online_once(page, insp, w.point_a)  # 人民路's checklist only
    page.goto(f"{base}/inspections/{insp.pk}/")  # kept too
    _offline(page)

    # A page the phone does not keep says so (instead of the browser's error page).
    page.goto(f"{base}/inspections/findings/")
    expect(page.locator("h1")).to_have_text("当前没有网络")

    # The inspection page's point search answers from the phone's data; 口岸农贸市场 was never opened.
    page.goto(f"{base}/inspections/{insp.pk}/")
    page.fill("input[hx-target='#checklist-points']", "口岸")
    page.locator("#checklist-points [data-pick-point]", has_text="口岸农贸市场").click()
    page.wait_for_url(f"{base}/inspections/{insp.pk}/checklist/{w.point_b.pk}/")
    expect(page.locator("main h1")).to_have_text("清单检查：口岸农贸市场")
    # A 农贸市场 is checked on 1.1.1 and 1.2.1 (the matrix), not on 人民路's 1.1.2.
    expect(page.locator(".checklist-item")).to_have_count(2)
    assert page.locator(".checklist-item").evaluate_all("cards => cards.map(c => c.dataset.indicator)") == ["1.1.1", "1.2.1"]
    page.click(f"label[for=r{w.leaf_clean.pk}pass]")
    page.click(f"label[for=r{w.leaf_market.pk}fail]")
    expect(page.locator(f"textarea[name=desc_{w.leaf_market.pk}]")).to_be_visible()
    page.fill(f"textarea[name=desc_{w.leaf_market.pk}]", "摊位外溢占用通道")
    page.set_input_files(f"input[name=photos_{w.leaf_market.pk}]", _jpeg(tmp_path / "市场.jpg", "orange"))
    page.click("[data-testid=save-checklist]")
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "1")
    expect(page.locator("[data-queue-item]")).to_contain_text("清单检查：口岸农贸市场")

    _offline(page, False)
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "0", timeout=30_000)
    assert sorted(Check.objects.filter(point=w.point_b).values_list("indicator__code", "result")) == [("1.1.1", "pass"), ("1.2.1", "fail")]
    finding = Finding.objects.get()
    assert (finding.point, finding.unit, finding.description, finding.photos.count()) == (w.point_b, w.unit_b, "摊位外溢占用通道", 1)


def test_a_post_lost_on_a_weak_signal_is_kept_in_the_queue(browser_world, open_page, tmp_path):
    w = browser_world
    insp = _inspection(w)
    page = open_page(w.inspector, viewport=PHONE)
    base = page.base_url
    _open_online_once(page, insp, w.point_a)
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/?point={w.point_a.pk}")
    page.fill("#indicator-q", "1.1.1")
    page.locator("[data-pick-indicator]", has_text="1.1.1").first.click()
    page.fill("textarea[name=description]", "公厕无人保洁")
    page.set_input_files("input[name=photos]", _jpeg(tmp_path / "公厕.jpg", "gray"))
    # The phone believes it is online, but the post never reaches the server (a weak signal).
    worker = WorkerNetwork(page)
    worker.cut(f"*/inspections/{insp.pk}/findings/new/*")
    page.click("[data-testid=save-finding]")
    expect(page.locator("[data-testid=offline-notice]")).to_contain_text("网络中断，没有发送成功：已保存在本机")
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "1")
    expect(page.locator("[data-queue-item]")).to_contain_text("公厕无人保洁")
    assert Finding.objects.count() == 0

    assert page.evaluate("navigator.onLine")
    worker.restore()
    page.click("[data-queue-send]")
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "0", timeout=30_000)
    finding = Finding.objects.get()
    assert (finding.point, finding.description, finding.photos.count()) == (w.point_a, "公厕无人保洁", 1)


def test_the_site_can_be_installed_to_the_home_screen(browser_world, open_page):
    page = open_page(browser_world.inspector, viewport=PHONE)
    page.goto(page.base_url + "/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") == page.base_url + "/sw.js"
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == page.base_url + "/manifest.webmanifest" and not manifest["errors"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A Playwright context is an incognito profile, where Chromium installs nothing; anything else
    # (no suitable icon, no service worker, a bad start_url…) would be listed here too.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


def test_a_shared_phone_shows_each_user_only_their_own_queue(browser_world, open_page, tmp_path):
    w = browser_world
    insp = _inspection(w)
    page = open_page(w.inspector, viewport=PHONE)
    base = page.base_url
    _open_online_once(page, insp, w.point_a)
    _offline(page)
    page.goto(f"{base}/inspections/{insp.pk}/findings/new/")
    _record_finding_offline(page, point="人民路（城东段）", indicator_code="1.1.1", description="井盖缺失",
                            photo=_jpeg(tmp_path / "井盖.jpg", "white"))
    # The queue is kept per browser: the user id on the page decides whose items are shown and sent.
    assert page.evaluate("document.querySelector('script[data-cw-user]').dataset.cwUser") == str(w.inspector.pk)
    other = page.evaluate("""async () => {
        const items = await cwOffline.list();
        return items.map(i => i.user);
    }""")
    assert other == [str(w.inspector.pk)]
    page.evaluate("""async () => {
        const [item] = await cwOffline.list();
        const key = item.key; delete item.key; item.user = "999999";
        await cwOffline.idb.set(key, item, cwOffline.store);
    }""")
    page.reload()
    expect(page.locator("[data-testid=queue-count]")).to_have_attribute("data-count", "0")
    expect(page.locator("[data-testid=queue-count]")).to_contain_text("另有其他账号的 1 条")
    expect(page.locator("[data-queue-item]")).to_have_count(0)
    _offline(page, False)
    page.reload()
    page.wait_for_function("cwOffline.sync().then(() => true)")
    assert Finding.objects.count() == 0  # never sent as someone else

    # Logging out forgets the kept pages and campaign data; the queue stays for its owner.
    kept = "caches.open('cw-pages-v1').then(c => c.keys()).then(k => k.length)"
    kept_data = "cwOffline.idb.keys(cwOffline.dataStore).then(k => k.length)"
    assert page.evaluate(kept) >= 2 and page.evaluate(kept_data) >= 1
    page.click(".navbar-toggler")
    page.click(".cw-user-name")  # 退出 is in the user menu
    page.locator("form[action='/logout/'] button").click()
    expect(page.locator("form[action='/logout/']")).to_have_count(0)
    assert page.evaluate(kept) == 0
    assert page.evaluate("""() => new Promise(resolve => {
        const open = indexedDB.open("cw-offline-data");
        open.onsuccess = () => {
            const db = open.result;
            const all = db.transaction("data").objectStore("data").count();
            all.onsuccess = () => resolve(all.result);
        };
    })""") == 0
    assert page.evaluate("""() => new Promise(resolve => {
        const open = indexedDB.open("cw-offline");
        open.onsuccess = () => {
            const all = open.result.transaction("queue").objectStore("queue").count();
            all.onsuccess = () => resolve(all.result);
        };
    })""") == 1
