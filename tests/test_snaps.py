"""随手拍: a resident reports, the office triages, the reporter follows the finding to 办结."""
from __future__ import annotations

import datetime as dt
import io
import random
import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from campaign.models import SourceLevel
from inspections import services as inspections
from inspections.models import Finding, FindingStatus, Inspection
from snaps import selectors, services
from snaps.models import CODE_ALPHABET, CODE_LENGTH, Snap, SnapCategory, SnapPhoto, SnapRule, Triage
from tests.inspections_support import png

TODAY = dt.date(2026, 10, 14)


def gps_jpeg(name: str = "IMG_0001.jpg", colour=(200, 40, 40)) -> SimpleUploadedFile:
    """A phone photo: GPS position, make and model in its EXIF."""
    img = Image.new("RGB", (60, 40), colour)
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif[0x0110] = "Redmi K70"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (28.0, 11.0, 52.0), 3: "E", 4: (112.0, 58.0, 33.0)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        return bool(exif.get_ifd(0x8825)) or 0x010F in exif


@pytest.fixture
def snap_world(world):
    w = world
    w.cat_market = SnapCategory.objects.create(campaign=w.campaign, name="占道经营", hint="流动摊贩、店外经营",
                                               indicator=w.leaf_market, order=1)
    w.cat_litter = SnapCategory.objects.create(campaign=w.campaign, name="垃圾乱堆", indicator=w.leaf_clean, order=2)
    w.point_b.latitude, w.point_b.longitude = Decimal("28.195000"), Decimal("112.975000")
    w.point_b.save()
    return w


def post_report(client, w, **overrides):
    data = {
        "client_token": str(uuid.uuid4()), "category": w.cat_market.pk, "description": "农贸市场门口摊位占道，行人只能走机动车道",
        "place": "口岸农贸市场东门", "phone": "", "captcha_0": "x", "captcha_1": "PASSED", "photos": [gps_jpeg()],
    }
    data.update(overrides)
    return client.post(reverse("snaps-public-new", args=[w.campaign.slug]), data)


def report(w, *, description="坡子街路口垃圾堆了三天", category=None, point=None, when=None) -> Snap:
    snap = services.snap_submit(campaign=w.campaign, category=category or w.cat_litter, description=description,
                                photos=[png()], place="坡子街", point=point)
    if when is not None:
        Snap.objects.filter(pk=snap.pk).update(created_at=when)
        snap.refresh_from_db()
    return snap


def status_page(_client, snap) -> str:
    """The reporter's page, as an anonymous visitor sees it (a fresh client: no login, no messages)."""
    response = Client().get(reverse("snaps-public-status", args=[snap.code]))
    assert response.status_code == 200
    return response.content.decode()


# --- the public side -----------------------------------------------------------------


def test_the_report_form_opens_without_a_login_with_the_categories_and_a_captcha(client, snap_world):
    response = client.get(reverse("snaps-public-new", args=[snap_world.campaign.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "占道经营" in page and "垃圾乱堆" in page and "流动摊贩、店外经营" in page
    assert 'name="captcha_1"' in page and "/captcha/image/" in page
    assert "不会公开" in page  # why the phone number is asked
    assert "snaps/report.js" in page and "<script>" not in page


def test_a_report_is_filed_with_a_random_code_and_its_photo_stored_without_gps(client, snap_world):
    response = post_report(client, snap_world)
    snap = Snap.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/snaps/q/{snap.code}/?new=1"
    assert len(snap.code) == CODE_LENGTH and set(snap.code) <= set(CODE_ALPHABET)
    assert snap.triage == Triage.PENDING and snap.place == "口岸农贸市场东门"
    stored = SnapPhoto.objects.get(snap=snap)
    with default_storage.open(stored.file.name, "rb") as handle:
        data = handle.read()
    assert not has_gps(data) and b"Xiaomi" not in data
    page = client.get(response["Location"]).content.decode()
    assert snap.code in page and "已受理" in page and "举报已提交" in page


def test_two_reports_get_codes_that_do_not_follow_each_other(snap_world):
    codes = {report(snap_world).code for _ in range(5)}
    assert len(codes) == 5
    assert len({c[:6] for c in codes}) > 1


def test_the_same_form_posted_twice_files_one_report(client, snap_world):
    token = str(uuid.uuid4())
    post_report(client, snap_world, client_token=token)
    second = post_report(client, snap_world, client_token=token)
    assert Snap.objects.count() == 1 and SnapPhoto.objects.count() == 1
    assert second.status_code == 302


def test_a_wrong_captcha_is_refused_and_nothing_is_written(client, snap_world):
    before = set(default_storage.listdir("snaps")[1]) if default_storage.exists("snaps") else set()
    response = post_report(client, snap_world, captcha_1="WXYZ")
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert Snap.objects.count() == 0 and SnapPhoto.objects.count() == 0
    after = set(default_storage.listdir("snaps")[1]) if default_storage.exists("snaps") else set()
    assert after == before


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_written(client, snap_world):
    fake = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    response = post_report(client, snap_world, photos=[png(), fake])
    assert response.status_code == 200
    assert "只能上传照片" in response.content.decode()
    assert Snap.objects.count() == 0 and SnapPhoto.objects.count() == 0


def test_a_photo_over_the_public_cap_is_refused_with_the_cap_named(client, snap_world, settings):
    settings.SNAPS_PHOTO_MAX_BYTES = 1024
    out = io.BytesIO()
    Image.frombytes("RGB", (64, 64), random.Random(6).randbytes(64 * 64 * 3)).save(out, format="PNG")  # noise: ≈ 12 KB
    assert len(out.getvalue()) > 1024
    response = post_report(client, snap_world, photos=[SimpleUploadedFile("big.png", out.getvalue(), content_type="image/png")])
    assert "超过" in response.content.decode() and "1 KB" in response.content.decode()
    assert Snap.objects.count() == 0


def test_a_report_needs_a_place_and_a_photo(client, snap_world):
    response = post_report(client, snap_world, place="", photos=[])
    page = response.content.decode()
    assert response.status_code == 200 and "请至少拍一张照片" in page and "请填写问题所在位置" in page
    assert Snap.objects.count() == 0


def test_what_residents_type_is_escaped_on_every_page(client, client_for, snap_world):
    post_report(client, snap_world, description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    snap = Snap.objects.get()
    page = status_page(client, snap)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    office = client_for(snap_world.admin).get(reverse("snaps-detail", args=[snap.pk])).content.decode()
    assert "<img src=x" not in office and "&lt;img src=x" in office


def test_a_closed_rule_takes_no_new_reports(client, snap_world):
    SnapRule.objects.create(campaign=snap_world.campaign, is_open=False)
    response = post_report(client, snap_world)
    assert response.status_code == 200 and "暂未开放" in response.content.decode()
    assert Snap.objects.count() == 0


def test_nearby_points_are_suggested_by_name_only(client, snap_world):
    url = reverse("snaps-public-points", args=[snap_world.campaign.slug])
    data = client.get(url, {"lat": "28.195500", "lng": "112.975000"}).json()
    assert [p["name"] for p in data["points"]] == ["口岸农贸市场"]
    assert data["points"][0]["distance"] == 56  # 0.0005° of latitude ≈ 55.6 m
    assert "口岸街道" not in str(data)  # the 包保 unit is not the public's business
    for bad in ({"lat": "abc", "lng": "1"}, {"lat": "NaN", "lng": "112.9"}, {"lat": "95", "lng": "112.9"}, {"lat": "28.1"}):
        assert client.get(url, bad).json() == {"points": []}


# --- no enumeration --------------------------------------------------------------


def test_a_wrong_code_gets_the_same_404_page_as_any_missing_page(client, snap_world):
    snap = report(snap_world)
    wrong = client.get(reverse("snaps-public-status", args=["ABCDEFGHJKMN"]))
    missing = client.get("/snaps/q/")  # the lookup page exists; compare with a path that does not
    nothing = client.get("/no-such-page/")
    assert wrong.status_code == 404 and nothing.status_code == 404 and missing.status_code == 200
    token = re.compile(rb'"X-CSRFToken": "[^"]*"')  # each response carries its own CSRF token
    assert token.sub(b"", wrong.content) == token.sub(b"", nothing.content)
    assert snap.code not in wrong.content.decode()


def test_a_code_is_looked_up_as_typed_in_lower_case_or_with_spaces(client, snap_world):
    snap = report(snap_world)
    typed = f"{snap.code[:4].lower()} {snap.code[4:8]}-{snap.code[8:]}"
    response = client.get(reverse("snaps-public-lookup"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("snaps-public-status", args=[snap.code])


def test_another_reports_photo_cannot_be_opened_with_ones_own_code(client, snap_world):
    mine, theirs = report(snap_world), report(snap_world, description="另一处问题")
    their_photo = theirs.photos.get()
    url = reverse("snaps-public-photo", args=[mine.code, "report", their_photo.pk])
    assert client.get(url).status_code == 404
    own = client.get(reverse("snaps-public-photo", args=[mine.code, "report", mine.photos.get().pk]))
    assert own.status_code == 200 and own["Content-Type"] == "image/png"


def test_there_is_no_public_list_of_reports(client, snap_world):
    report(snap_world)
    assert client.get(reverse("snaps-queue")).status_code == 302  # the office's queue wants a login
    assert client.get(reverse("snaps-public-lookup")).content.decode().count("/snaps/q/") <= 1


# --- rate limits -------------------------------------------------------------------


def test_the_submission_past_the_limit_gets_429_and_files_nothing(client, snap_world, limits_on):
    limits_on.PUBLIC_RATES = {"snaps-submit:ip": "2/d"}
    codes = [post_report(client, snap_world).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert Snap.objects.count() == 2
    # reading the form is counted apart
    assert client.get(reverse("snaps-public-new", args=[snap_world.campaign.slug])).status_code == 200


def test_status_lookups_are_limited_per_address(client, snap_world, limits_on):
    limits_on.PUBLIC_RATES = {"snaps-lookup:ip": "3/d"}
    snap = report(snap_world)
    url = reverse("snaps-public-status", args=[snap.code])
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]


# --- the office: from report to 办结 ------------------------------------------------------


def test_from_report_to_done_the_reporter_follows_the_finding(client, client_for, snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    snap = report(w, category=w.cat_market, description="口岸农贸市场东门摊位占道", point=w.point_b)
    assert "已受理" in status_page(client, snap)

    office = client_for(w.inspector)
    response = office.post(reverse("snaps-file", args=[snap.pk]), {
        "point": w.point_b.pk, "unit": "", "indicator": w.leaf_market.pk, "description": "【群众随手拍】口岸农贸市场东门摊位占道", "points": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    finding = Finding.objects.get()
    snap.refresh_from_db()
    assert snap.triage == Triage.FILED and snap.finding == finding
    # charged to the point's 包保 unit at the city rule's 0.3, under the day's 群众随手拍 inspection
    assert finding.unit == w.unit_b and finding.points == Decimal("0.30") and finding.found_on == TODAY
    assert finding.inspection.title == "群众随手拍" and finding.inspection.source_level == SourceLevel.CITY
    assert finding.photos.count() == 1  # the reporter's photo is the finding's evidence
    page = status_page(client, snap)
    assert "处理中" in page and "口岸街道" not in page

    rect = inspections.rectification_submit(official=w.official_b, finding=finding, description="已清理摊位，设置隔离栏",
                                            after_photos=[gps_jpeg("after.jpg", colour=(30, 160, 60))])
    assert "处理中" in status_page(client, snap)
    inspections.rectification_review(reviewer=w.inspector, rectification=rect, accept=True, comment="内部意见：下次要早点")
    page = status_page(client, snap)
    assert "已办结" in page
    for secret in ("口岸街道", "周联络员", "李督查", "内部意见", "official_b"):
        assert secret not in page
    after = rect.photos.get()
    photo = client.get(reverse("snaps-public-photo", args=[snap.code, "after", after.pk]))
    assert photo.status_code == 200 and not has_gps(photo.content)
    with default_storage.open(after.file.name, "rb") as handle:
        assert has_gps(handle.read())  # the unit's own evidence is kept as taken; only the public copy is cleaned


def test_the_status_page_serves_stored_clean_copies_decoded_once_and_writes_no_audit_row(client_for, snap_world,
                                                                                            monkeypatch):
    from campaign import uploads
    from campaign.models import AuditLog

    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    snap = report(w, description="人民路垃圾")
    finding = services.snap_file(actor=w.admin, snap=snap, indicator=w.leaf_clean, description="人民路垃圾", unit=w.unit_a)
    rect = inspections.rectification_submit(official=w.official_a, finding=finding, description="已清运",
                                            after_photos=[gps_jpeg("after.jpg", colour=(30, 160, 60))])
    inspections.rectification_review(reviewer=w.inspector, rectification=rect, accept=True)
    mine, after = snap.photos.get(), rect.photos.get()
    mine_url = reverse("snaps-public-photo", args=[snap.code, "report", mine.pk])
    after_url = reverse("snaps-public-photo", args=[snap.code, "after", after.pk])
    page = status_page(None, snap)
    # The page shows thumbnails, each linking to the photo.
    for url in (mine_url, after_url):
        assert f'<a href="{url}"><img' in page and f'src="{url}?thumb=1"' in page

    decoded = []
    real = uploads.prepare_photo
    monkeypatch.setattr(uploads, "prepare_photo", lambda data, **kw: decoded.append(kw) or real(data, **kw))
    visitor, rows = Client(), AuditLog.objects.count()

    def body(url: str, **params) -> bytes:
        response = visitor.get(url, params)
        assert response.status_code == 200 and response["Content-Type"] in ("image/png", "image/jpeg")
        return b"".join(response.streaming_content) if response.streaming else response.content

    first = {u: body(u) for u in (mine_url, after_url)} | {u + "?thumb=1": body(u, thumb="1") for u in (mine_url, after_url)}
    # Made once each: the two thumbnails and the after-photo's clean copy; the reporter's photo is served as stored.
    assert sorted(kw.get("max_edge", 0) for kw in decoded) == [0, uploads.THUMBNAIL_EDGE, uploads.THUMBNAIL_EDGE]
    with default_storage.open(mine.file.name, "rb") as handle:
        assert first[mine_url] == handle.read()
    assert not has_gps(first[after_url]) and not has_gps(first[after_url + "?thumb=1"])
    with default_storage.open(after.file.name, "rb") as handle:
        assert has_gps(handle.read())  # the unit's evidence keeps its EXIF inside the platform
    for _ in range(3):  # the page viewed again: nothing decoded, the same bytes
        assert {u: body(u) for u in (mine_url, after_url)} == {u: first[u] for u in (mine_url, after_url)}
        assert body(after_url, thumb="1") == first[after_url + "?thumb=1"]
    assert len(decoded) == 3
    assert AuditLog.objects.count() == rows  # anonymous public views write no row (docs/security.md §10)
    # Another report's code still opens none of these photos, thumbnail or not.
    other = report(w, description="另一处")
    wrong = reverse("snaps-public-photo", args=[other.code, "after", after.pk])
    assert visitor.get(wrong).status_code == 404 and visitor.get(wrong, {"thumb": "1"}).status_code == 404
    # The stored photo gone: no copy is served in its place.
    default_storage.delete(after.file.name)
    assert visitor.get(after_url).status_code == 404 and visitor.get(after_url, {"thumb": "1"}).status_code == 404


def test_a_second_report_on_the_same_day_hangs_under_the_same_inspection(client_for, snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    for text in ("人民路垃圾", "口岸市场占道"):
        snap = report(w, description=text)
        services.snap_file(actor=w.admin, snap=snap, indicator=w.leaf_clean, description=text, unit=w.unit_a)
    assert Inspection.objects.filter(title="群众随手拍").count() == 1 and Finding.objects.count() == 2


def test_the_campaign_rule_sets_the_points(snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    SnapRule.objects.create(campaign=w.campaign, source_level=SourceLevel.DISTRICT, points=Decimal("0.10"))
    finding = services.snap_file(actor=w.admin, snap=report(w), indicator=w.leaf_clean, description="坡子街垃圾", unit=w.unit_a)
    assert finding.points == Decimal("0.10") and finding.inspection.source_level == SourceLevel.DISTRICT


def test_under_a_rule_without_deduction_the_finding_costs_nothing_and_is_still_rectified(snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    SnapRule.objects.create(campaign=w.campaign, deducts=False)
    snap = report(w, point=w.point_a)
    finding = services.snap_file(actor=w.admin, snap=snap, indicator=w.leaf_clean, description="坡子街垃圾", point=w.point_a)
    assert finding.points == Decimal("0.00") and finding.unit == w.unit_a and finding.status == FindingStatus.OPEN
    # not rectified in time: the city rule has no overdue number of its own, so nothing more is deducted
    assert inspections.overdue_penalties_apply(today=finding.rectify_deadline + dt.timedelta(days=1)) == []
    rect = inspections.rectification_submit(official=w.official_a, finding=finding, description="已清运", after_photos=[png()])
    inspections.rectification_review(reviewer=w.inspector, rectification=rect, accept=True)
    assert "已办结" in status_page(None, snap)


def test_under_a_rule_without_deduction_an_overdue_number_still_applies(snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    SnapRule.objects.create(campaign=w.campaign, deducts=False)
    w.campaign.deduction_rules.filter(source_level=SourceLevel.CITY).update(overdue_points=Decimal("1.00"))
    finding = services.snap_file(actor=w.admin, snap=report(w), indicator=w.leaf_clean, description="坡子街垃圾", unit=w.unit_a)
    [penalty] = inspections.overdue_penalties_apply(today=finding.rectify_deadline + dt.timedelta(days=1))
    assert penalty.points == Decimal("1.00")


def test_a_report_is_triaged_once(snap_world):
    w = snap_world
    snap = report(w)
    services.snap_decline(actor=w.admin, snap=snap, reason="不在创建范围内")
    with pytest.raises(Exception, match="已处理"):
        services.snap_file(actor=w.admin, snap=snap, indicator=w.leaf_clean, description="x", unit=w.unit_a)
    assert Finding.objects.count() == 0


def test_declined_the_reporter_reads_the_reason(client, client_for, snap_world):
    w = snap_world
    snap = report(w)
    office = client_for(w.admin)
    refused = office.post(reverse("snaps-decline", args=[snap.pk]), {"reason": ""})
    assert refused.status_code == 400
    snap.refresh_from_db()
    assert snap.triage == Triage.PENDING
    office.post(reverse("snaps-decline", args=[snap.pk]), {"reason": "该处为私人院落，不属于公共区域"})
    client.logout()
    page = status_page(client, snap)
    assert "不予受理" in page and "该处为私人院落，不属于公共区域" in page


def test_a_withdrawn_finding_reads_as_declined_without_the_internal_reason(client, snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    snap = report(w)
    finding = services.snap_file(actor=w.admin, snap=snap, indicator=w.leaf_clean, description="坡子街垃圾", unit=w.unit_a)
    inspections.finding_withdraw(actor=w.admin, finding=finding, reason="督查员看错了点位（内部）")
    page = status_page(client, snap)
    assert "不予受理" in page and selectors.WITHDRAWN_REASON in page and "内部" not in page


def test_merged_the_reporter_follows_the_report_it_was_merged_into(client, client_for, snap_world, monkeypatch):
    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    first = report(w, description="坡子街垃圾堆", point=w.point_a)
    second = report(w, description="坡子街路口垃圾没人清", point=w.point_a)
    office = client_for(w.admin)
    detail = office.get(reverse("snaps-detail", args=[second.pk])).content.decode()
    assert first.code in detail  # offered as a candidate: same point
    response = office.post(reverse("snaps-merge", args=[second.pk]), {"into": first.code.lower()})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.triage == Triage.MERGED and second.merged_into == first
    client.logout()
    assert "已受理" in status_page(client, second) and "已合并办理" in status_page(client, second)
    finding = services.snap_file(actor=w.admin, snap=first, indicator=w.leaf_clean, description="坡子街垃圾", point=w.point_a)
    assert "处理中" in status_page(client, second)
    rect = inspections.rectification_submit(official=w.official_a, finding=finding, description="已清运", after_photos=[png()])
    inspections.rectification_review(reviewer=w.inspector, rectification=rect, accept=True)
    assert "已办结" in status_page(client, second)
    assert Finding.objects.count() == 1  # one problem, one finding


def test_a_report_cannot_be_merged_into_itself_or_a_declined_one(snap_world):
    w = snap_world
    snap, declined = report(w), report(w)
    services.snap_decline(actor=w.admin, snap=declined, reason="重复")
    with pytest.raises(Exception, match="自己"):
        services.snap_merge(actor=w.admin, snap=snap, into=snap)
    with pytest.raises(Exception, match="不予受理"):
        services.snap_merge(actor=w.admin, snap=snap, into=declined)


# --- who sees the office pages ---------------------------------------------------------


@pytest.mark.parametrize("who, queue, figures", [
    ("admin", 200, 200), ("inspector", 200, 200), ("leader", 404, 200), ("official_a", 404, 404), ("nobody", 404, 404),
])
def test_who_opens_the_office_pages(client_for, snap_world, who, queue, figures):
    snap = report(snap_world)
    client = client_for(getattr(snap_world, who))
    assert client.get(reverse("snaps-queue")).status_code == queue
    assert client.get(reverse("snaps-detail", args=[snap.pk])).status_code == queue
    assert client.get(reverse("snaps-photo", args=[snap.pk, snap.photos.get().pk])).status_code == queue
    assert client.get(reverse("snaps-figures")).status_code == figures


def test_an_official_cannot_triage(client_for, snap_world):
    snap = report(snap_world)
    response = client_for(snap_world.official_a).post(reverse("snaps-decline", args=[snap.pk]), {"reason": "越权"})
    assert response.status_code == 404
    snap.refresh_from_db()
    assert snap.triage == Triage.PENDING


# --- figures -------------------------------------------------------------------------


def test_figures_per_month_category_and_unit_with_the_average_time_to_done(snap_world, monkeypatch):
    """Four reports: a Oct 2 09:00 (litter, filed to 城东街道, accepted Oct 5 09:00: 3 days),
    b Oct 20 (market, declined), c Oct 3 09:00 (litter, merged into a: done with it, 2 days from its own
    report), d Nov 6 (market, pending). Average time to 办结: (3 + 2) / 2 = 2.5 days."""
    w = snap_world
    tz = timezone.get_current_timezone()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    a = report(w, when=dt.datetime(2026, 10, 2, 9, 0, tzinfo=tz))
    b = report(w, category=w.cat_market, when=dt.datetime(2026, 10, 20, 9, 0, tzinfo=tz))
    c = report(w, when=dt.datetime(2026, 10, 3, 9, 0, tzinfo=tz))
    report(w, category=w.cat_market, when=dt.datetime(2026, 11, 6, 9, 0, tzinfo=tz))
    finding = services.snap_file(actor=w.admin, snap=a, indicator=w.leaf_clean, description="垃圾", unit=w.unit_a)
    services.snap_decline(actor=w.admin, snap=b, reason="重复举报")
    services.snap_merge(actor=w.admin, snap=c, into=a)
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.ACCEPTED,
                                                 accepted_at=dt.datetime(2026, 10, 5, 9, 0, tzinfo=tz))
    f = selectors.figures(w.campaign)
    assert (f.total.received, f.total.declined, f.total.in_progress, f.total.done, f.total.pending) == (4, 1, 0, 2, 1)
    assert f.total.average_days == Decimal("2.5")
    assert [(r.label, r.received, r.done, r.declined) for r in f.by_month] == [
        ("2026年10月", 3, 2, 1), ("2026年11月", 1, 0, 0),
    ]
    assert [(r.label, r.received, r.done) for r in f.by_category] == [("占道经营", 2, 0), ("垃圾乱堆", 2, 2)]
    assert [(r.label, r.received, r.done, r.average_days) for r in f.by_unit] == [
        ("城东街道", 2, 2, Decimal("2.5")), ("未转交", 2, 0, None),
    ]


def test_the_figures_page_shows_the_same_numbers(client_for, snap_world):
    w = snap_world
    report(w)
    services.snap_decline(actor=w.admin, snap=report(w), reason="重复")
    page = client_for(w.leader).get(reverse("snaps-figures")).content.decode()
    assert 'id="cw-snaps-received">2<' in page and "未转交" in page


def test_the_office_downloads_the_public_pages_qr_code_for_posters(client_for, snap_world):
    response = client_for(snap_world.admin).get(reverse("snaps-qr"))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    assert client_for(snap_world.official_a).get(reverse("snaps-qr")).status_code == 404



# --- the office hears of new reports ---------------------------------------------------------


def test_the_office_hears_of_a_new_report_in_app_with_a_link_to_the_queue_once(client, snap_world):
    from campaign.models import Membership, Notification, Role
    from notices.models import Event, Notice, NoticeStatus
    from tests import factories as f

    second_admin = f.UserFactory(username="admin_two", first_name="周科长")
    Membership.objects.create(user=second_admin, unit=snap_world.office, role=Role.ADMIN)
    retired = f.UserFactory(username="admin_retired", is_active=False)
    Membership.objects.create(user=retired, unit=snap_world.office, role=Role.ADMIN)
    token = str(uuid.uuid4())
    post_report(client, snap_world, client_token=token)
    post_report(client, snap_world, client_token=token)  # posted twice: one report, one notice each
    snap = Snap.objects.get()
    notices = Notice.objects.filter(event=Event.SNAP_NEW).order_by("user__username")
    assert [n.user.username for n in notices] == ["admin_test", "admin_two"]  # not the inspector, leader, units, retired
    assert {(n.key, n.url, n.status, n.channel, tuple(n.plan)) for n in notices} == {
        (f"snap-new:{snap.pk}", reverse("snaps-queue"), NoticeStatus.SENT, "inapp", ())
    }
    assert notices[0].message == "新随手拍：占道经营，口岸农贸市场东门：农贸市场门口摊位占道，行人只能走机动车道"
    inbox = Notification.objects.filter(user=snap_world.admin)
    assert inbox.count() == 1 and inbox.get().url == reverse("snaps-queue")
    assert not Notification.objects.filter(user__in=[snap_world.inspector, snap_world.official_a, snap_world.official_b]).exists()
    # Digest-friendly: the report is among the office's day's new things.
    from notices import selectors as notice_selectors

    digest = notice_selectors.digest_for(user_id=snap_world.admin.pk, day=notices[0].day)
    assert [n.event for n in digest.new] == [Event.SNAP_NEW] and not digest.overdue


def test_a_refused_report_tells_the_office_nothing(client, snap_world):
    from notices.models import Notice

    fake = SimpleUploadedFile("photo.jpg", b"<html></html>", content_type="image/jpeg")
    post_report(client, snap_world, photos=[png(), fake])
    assert Snap.objects.count() == 0 and not Notice.objects.exists()


# --- the audit log never shows a report's query code -----------------------------------------


def _xlsx_text(response) -> str:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    return "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)


def _audit_views(w, client_for, action: str):
    """What the leader and a superuser admin read of the audit log for ``action``: (user, page, export text)."""
    w.admin.is_staff = w.admin.is_superuser = True
    w.admin.save()
    for user in (w.leader, w.admin):
        reader = client_for(user)
        page = reader.get(reverse("campaign-audit"), {"action": action}).content.decode()
        yield user, page, _xlsx_text(reader.get(reverse("campaign-audit-export"), {"action": action}))


def test_the_audit_log_shows_reports_by_number_never_by_query_code(client_for, snap_world, monkeypatch):
    from campaign.models import AuditLog

    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    first = report(w, description="坡子街垃圾堆", point=w.point_a)
    second = report(w, description="坡子街路口垃圾没人清", point=w.point_a)
    services.snap_merge(actor=w.admin, snap=second, into=first)
    services.snap_file(actor=w.admin, snap=first, indicator=w.leaf_clean, description="坡子街垃圾", point=w.point_a)
    # A row as written before the code was left out: the code in the description, the message and the values.
    AuditLog.objects.create(
        action="snap.merge", actor_name="old", object_type="snaps.Snap", object_id=str(second.pk),
        object_repr=f"{second.code} · 垃圾乱堆 · 坡子街路口垃圾没人清", message=f"合并到 {first.code}",
        before={"id": second.pk, "code": second.code, "triage": "pending"},
        after={"id": second.pk, "code": second.code, "triage": "merged", "merged_into_id": first.pk},
    )
    codes = (first.code, second.code)
    stored = AuditLog.objects.filter(object_type="snaps.Snap").exclude(actor_name="old")
    assert stored.count() == 4  # two submissions, the merge, the filing
    for row in stored:  # written from now on without the code
        assert not any(code in f"{row.object_repr} {row.message} {row.before} {row.after}" for code in codes)

    for user, page, exported in _audit_views(w, client_for, "snap"):
        assert f"随手拍举报 #{second.pk}" in page and f"合并到 随手拍举报 #{first.pk}" in page
        assert not any(code in page for code in codes), user
        triage_link = reverse("snaps-detail", args=[second.pk])
        assert (f'href="{triage_link}"' in page) == (user == w.admin)  # the office's triage page, for those who triage
        assert f"随手拍举报 #{second.pk}" in exported
        assert not any(code in exported for code in codes), user
        # Part of a code does not find the old row (no confirming a code letter by letter).
        found = client_for(user).get(reverse("campaign-audit"), {"obj": second.code[:6]}).content.decode()
        assert "没有符合条件的日志" in found

    admin = client_for(w.admin)
    listing = admin.get(reverse("admin:campaign_auditlog_changelist")).content.decode()
    assert f"随手拍举报 #{second.pk}" in listing and not any(code in listing for code in codes)
    old = AuditLog.objects.get(actor_name="old")
    detail = admin.get(reverse("admin:campaign_auditlog_change", args=[old.pk])).content.decode()
    assert f"合并到 随手拍举报 #{first.pk}" in detail and not any(code in detail for code in codes)
    searched = admin.get(reverse("admin:campaign_auditlog_changelist"), {"q": second.code[:6]}).content.decode()
    assert f"随手拍举报 #{second.pk}" not in searched and not any(code in searched for code in codes)
    by_words = admin.get(reverse("admin:campaign_auditlog_changelist"), {"q": "路口垃圾"}).content.decode()
    assert f"随手拍举报 #{second.pk}" in by_words


def _reporter_secrets(snap) -> tuple[str, ...]:
    return (snap.code, str(snap.client_token), snap.phone, snap.device_key)


def test_the_audit_log_never_shows_a_reporters_token_phone_or_device(client, client_for, snap_world, monkeypatch):
    """client_token replays the submission (and so opened the status page), the phone and the device name the
    reporter: neither the rows written now nor older rows that still hold them show them (page, export, admin)."""
    from campaign.models import AuditLog

    w = snap_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    post_report(client, w, phone="13912345678")
    snap = Snap.objects.get()
    assert snap.phone == "13912345678" and snap.device_key and snap.client_token
    services.snap_decline(actor=w.admin, snap=snap, reason="经核查，已由社区处理")
    secrets_ = _reporter_secrets(snap)
    for row in AuditLog.objects.filter(object_type="snaps.Snap"):  # written from now on without them
        assert not any(s in f"{row.object_repr} {row.message} {row.before} {row.after}" for s in secrets_)
    # A row written before: every field in before/after.
    values = {"id": snap.pk, "code": snap.code, "client_token": str(snap.client_token), "phone": snap.phone,
              "device_key": snap.device_key, "triage": "pending"}
    old = AuditLog.objects.create(action="snap.decline", actor_name="old", object_type="snaps.Snap",
                                  object_id=str(snap.pk), object_repr=str(snap), message="不予受理",
                                  before=values, after={**values, "triage": "declined"})

    for user, page, exported in _audit_views(w, client_for, "snap"):
        assert f"随手拍举报 #{snap.pk}" in page and "经核查，已由社区处理" in page
        assert not any(s in page for s in secrets_), user
        assert f"随手拍举报 #{snap.pk}" in exported
        assert not any(s in exported for s in secrets_), user
    detail = client_for(w.admin).get(reverse("admin:campaign_auditlog_change", args=[old.pk])).content.decode()
    assert "declined" in detail and not any(s in detail for s in secrets_)


def test_another_devices_post_of_a_reports_token_does_not_open_that_report(client, snap_world):
    """A client_token copied from elsewhere, posted from another device, makes a new report under a new token;
    it never redirects to the other report's status page (its query code)."""
    w = snap_world
    token = str(uuid.uuid4())
    post_report(client, w, client_token=token, phone="13912345678")
    victim = Snap.objects.get()
    other_device = Client()
    response = post_report(other_device, w, client_token=token, description="另一台手机的举报")
    assert response.status_code == 302 and victim.code not in response["Location"]
    assert Snap.objects.count() == 2
    mine = Snap.objects.exclude(pk=victim.pk).get()
    assert response["Location"] == f"/snaps/q/{mine.code}/?new=1"
    assert mine.client_token != victim.client_token and mine.device_key != victim.device_key
    # The reporter's own second post still replays their report, and only theirs.
    again = post_report(client, w, client_token=token)
    assert again["Location"] == f"/snaps/q/{victim.code}/?new=1" and Snap.objects.count() == 2


def test_a_token_from_another_campaign_is_not_replayed_even_from_the_same_device(snap_world):
    from tests import factories as f

    w = snap_world
    other = f.CampaignFactory(slug="other-2026")
    category = SnapCategory.objects.create(campaign=other, name="占道经营", indicator=w.leaf_market)
    token = uuid.uuid4()
    first = services.snap_submit(campaign=w.campaign, category=w.cat_litter, description="坡子街垃圾", photos=[png()],
                                 place="坡子街", client_token=token, device_key="d" * 32)
    second = services.snap_submit(campaign=other, category=category, description="另一个活动", photos=[png()],
                                  place="人民路", client_token=token, device_key="d" * 32)
    assert second.pk != first.pk and second.campaign == other and second.client_token != token
    # Without a device (a caller that passes none), a token is no proof either.
    third = services.snap_submit(campaign=w.campaign, category=w.cat_litter, description="x", photos=[png()],
                                 place="坡子街", client_token=token)
    assert third.pk not in (first.pk, second.pk)
    assert services.snap_submit(campaign=w.campaign, category=w.cat_litter, description="坡子街垃圾", photos=[png()],
                                place="坡子街", client_token=token, device_key="d" * 32).pk == first.pk


def test_old_public_photo_download_rows_do_not_show_the_query_code(client_for, snap_world):
    """Before public photo views stopped being audited, each wrote file.download for the photo with the
    request path /snaps/q/<code>/photos/…: shown, exported and in the admin with the code hidden."""
    from campaign.audit import shown
    from campaign.models import AuditLog

    w = snap_world
    snap = report(w)
    photo = snap.photos.get()
    path = reverse("snaps-public-photo", args=[snap.code, "report", photo.pk])
    old = AuditLog.objects.create(
        action="file.download", actor_name="", object_type="snaps.SnapPhoto", object_id=str(photo.pk),
        object_repr=str(photo), message=f"随手拍公开照片：photo-{photo.pk}.png",
        after={"filename": f"photo-{photo.pk}.png", "content_type": "image/png", "size": 10, "inline": True,
               "path": path},
    )
    for status_path in (path, reverse("snaps-public-status", args=[snap.code])):
        old.after = {**old.after, "path": status_path}
        old.message = f"随手拍公开照片 {snap.code}"
        masked = shown(old)
        assert snap.code not in f"{masked.after} {masked.message}" and "/snaps/q/（查询码已隐去）/" in masked.after["path"]
    AuditLog.objects.filter(pk=old.pk).update(after={**old.after, "path": path})

    for user, page, exported in _audit_views(w, client_for, "file"):
        assert f"photo-{photo.pk}.png" in page and "查询码已隐去" in page
        assert snap.code not in page, user
        assert f"photo-{photo.pk}.png" in exported and snap.code not in exported, user
    admin = client_for(w.admin)
    detail = admin.get(reverse("admin:campaign_auditlog_change", args=[old.pk])).content.decode()
    assert "查询码已隐去" in detail and snap.code not in detail
    listing = admin.get(reverse("admin:campaign_auditlog_changelist")).content.decode()
    assert snap.code not in listing
