"""The server half of offline capture: manifest, service worker, the campaign data the phone keeps,
and the sync endpoints the queue posts to (sent once, refusals answered in Chinese, kept by the phone)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from PIL import Image

from campaign.models import AssessmentPeriod, PeriodStatus
from inspections.models import Check, Finding, FindingPhoto
from inspections import offline_views
from inspections.offline import offline_data
from tests.inspections_support import inspection, png

pytestmark = pytest.mark.django_db


def _finding_post(world, token, **extra):
    data = {
        "client_token": str(token), "point": world.point_a.pk, "indicator": world.leaf_clean.pk,
        "description": "人民路两侧果皮纸屑未清扫", "points": "", "unit": "",
    }
    data.update(extra)
    return data


def test_manifest_names_the_app_and_starts_at_the_inspector_home(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["start_url"], manifest["display"], manifest["lang"]) == ("创文督查", "/", "standalone", "zh-CN")
    sizes = set()
    for icon in manifest["icons"]:
        with Image.open(finders.find(icon["src"].removeprefix(settings.STATIC_URL))) as img:
            assert icon["sizes"] == "{}x{}".format(*img.size) and img.format == "PNG"
            sizes.add((icon["purpose"], img.size))
    assert sizes == {("any", (192, 192)), ("any", (512, 512)), ("maskable", (512, 512))}


def test_service_worker_is_served_at_the_root_as_javascript_with_its_assets(client):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "__CW_VERSION__" not in body
    assert '"/static/inspections/offline.js"' in body and '"/static/vendor/idb-keyval/idb-keyval-6.3.0.umd.js"' in body
    # Every precached file exists (one missing file and the service worker never installs).
    for path in offline_views.SW_STATIC:
        assert finders.find(path), path
        assert f'"{settings.STATIC_URL}{path}"' in body


def test_offline_data_holds_points_tree_and_matrix(world, client_for):
    data = offline_data(world.campaign)
    assert [p["name"] for p in data["points"]] == sorted([world.point_a.name, world.point_b.name])
    point_a = next(p for p in data["points"] if p["id"] == world.point_a.pk)
    assert (point_a["type_name"], point_a["unit_name"], point_a["address"]) == ("主次干道", "城东街道", "人民路1-200号")
    # The server's search column travels too, so pinyin works offline (人民路 → ^renminlu…, ^rml…).
    assert "^renminluchengdongduan" in point_a["search"] and "^rmlcdd" in point_a["search"]
    assert [i["code"] for i in data["indicators"]] == ["1", "1.1", "1.2", "1.1.1", "1.1.2", "1.2.1"]
    assert {k: sorted(v) for k, v in data["matrix"].items()} == {
        str(world.pt_road.pk): sorted([world.leaf_clean.pk, world.leaf_ads.pk]),
        str(world.pt_market.pk): sorted([world.leaf_clean.pk, world.leaf_market.pk]),
    }
    response = client_for(world.inspector).get(f"/inspections/offline/data/{inspection(world).pk}.json")
    assert response.json()["campaign"]["name"] == "泰和市2026年创建全国文明城市"


def test_sync_answers_json_not_a_login_redirect(world, client):
    insp = inspection(world)
    response = client.post(f"/inspections/offline/sync/{insp.pk}/finding/", _finding_post(world, uuid.uuid4()))
    assert response.status_code == 401
    assert response.json()["errors"] == ["登录已过期，请重新登录后再发送。"]
    client.force_login(world.official_a)
    assert client.post(f"/inspections/offline/sync/{insp.pk}/finding/", _finding_post(world, uuid.uuid4())).status_code == 404
    assert Finding.objects.count() == 0


def test_a_queued_finding_posted_twice_is_stored_once_with_its_photo(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    token = uuid.uuid4()
    url = f"/inspections/offline/sync/{insp.pk}/finding/"
    first = client.post(url, {**_finding_post(world, token), "photos": [png()]})
    second = client.post(url, {**_finding_post(world, token), "photos": [png()]})
    assert first.status_code == second.status_code == 200
    finding = Finding.objects.get()
    assert first.json()["id"] == second.json()["id"] == finding.pk
    assert first.json()["message"] == f"问题 #{finding.pk} 已登记：城东街道 扣 0.30 分。"
    assert FindingPhoto.objects.count() == 1


def test_a_refused_finding_gets_the_servers_chinese_message_and_nothing_is_stored(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    url = f"/inspections/offline/sync/{insp.pk}/finding/"
    # The rule allows 0.30 for a city inspection; 0.50 is refused.
    response = client.post(url, _finding_post(world, uuid.uuid4(), points="0.50"))
    assert response.status_code == 422
    assert response.json() == {"ok": False, "errors": ["扣分 0.50 分超过规则允许的上限：市级检查每个问题扣 0.30 分。"]}
    # A month published meanwhile.
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 10, 1), status=PeriodStatus.PUBLISHED)
    response = client.post(url, _finding_post(world, uuid.uuid4()))
    assert response.status_code == 422
    assert "已发布" in response.json()["errors"][0]
    # Missing fields name the field.
    response = client.post(url, _finding_post(world, uuid.uuid4(), description=""))
    assert response.status_code == 422 and response.json()["errors"] == ["问题描述：这个字段是必填项。"]
    assert Finding.objects.count() == 0


def test_a_queued_checklist_round_posted_twice_changes_nothing_the_second_time(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    url = f"/inspections/offline/sync/{insp.pk}/checklist/{world.point_a.pk}/"
    post = {
        f"result_{world.leaf_clean.pk}": "pass",
        f"result_{world.leaf_ads.pk}": "fail", f"desc_{world.leaf_ads.pk}": "公益广告占比不足",
    }
    first = client.post(url, {**post, f"photos_{world.leaf_ads.pk}": [png()]})
    assert first.status_code == 200
    assert first.json()["message"] == "人民路（城东段）：已检查 2 项，其中不合格 1 项已登记为问题。"
    second = client.post(url, {**post, f"photos_{world.leaf_ads.pk}": [png()]})
    assert second.status_code == 200
    assert second.json()["message"] == "人民路（城东段）：已检查 0 项，其中不合格 0 项已登记为问题。"
    assert Check.objects.count() == 2 and Finding.objects.count() == 1 and FindingPhoto.objects.count() == 1


def test_a_refused_checklist_round_names_the_standard(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    url = f"/inspections/offline/sync/{insp.pk}/checklist/{world.point_a.pk}/"
    response = client.post(url, {f"result_{world.leaf_ads.pk}": "fail", f"points_{world.leaf_ads.pk}": "abc"})
    assert response.status_code == 422
    assert response.json()["errors"] == ["指标 1.1.2 的扣分“abc”不是数字。"]
    response = client.post(url, {})
    assert response.json()["errors"] == ["请至少标记一项检查结果。"]
    assert Check.objects.count() == 0
