"""The inspectors' point search: what is typed (words, pinyin, initials), ranked, paged, never capped."""
from __future__ import annotations

from decimal import Decimal

import pytest

from campaign.models import InspectionPoint
from campaign.search import build_search_text, pinyin_forms, refresh_point_search
from inspections import selectors
from tests import factories as f


def test_pinyin_forms_keep_letters_only():
    assert pinyin_forms("人民路（城东段）") == ("renminluchengdongduan", "rmlcdd")
    assert pinyin_forms("G105国道") == ("g105guodao", "g105gd")


def test_the_search_text_marks_the_name_apart_from_other_fields():
    text = build_search_text(name="人民路公厕", type_name="公共厕所", unit_names=["城东街道"], address="人民路120号旁")
    assert text.startswith("^人民路公厕 ^renminlugongce ^rmlgc |公共厕所 |城东街道 |人民路120号旁")
    assert "|cdjd" in text and "|gonggongcesuo" in text


@pytest.fixture
def roads(world):
    """30 roads of one type (more than a page), the last ones alphabetically far down the list."""
    return [
        f.PointFactory(name=f"测试路{i:02d}", point_type=world.pt_road, unit=world.unit_a, address=f"测试{i}号")
        for i in range(30)
    ]


def _names(qs):
    return [p.name for p in qs]


def test_words_pinyin_and_initials_find_the_point(world, roads):
    for typed in ("人民路", "renminlu", "rml", "RML", "人民路1-200", "城东 rml"):
        assert "人民路（城东段）" in _names(selectors.search_points(typed)), typed
    assert _names(selectors.search_points("kanmsc")) == ["口岸农贸市场"]  # initials of the whole name
    assert _names(selectors.search_points("口岸街12")) == ["口岸农贸市场"]  # the address
    assert _names(selectors.search_points("测试路29")) == ["测试路29"]  # past the first page of its type
    assert _names(selectors.search_points("不存在的点位")) == []


def test_name_prefix_comes_before_other_fields_and_inner_matches(world):
    inner = f.PointFactory(name="城东人民路口", point_type=world.pt_road, unit=world.unit_b, address="")
    by_address = f.PointFactory(name="甲小区", point_type=world.pt_market, unit=world.unit_b, address="人民路9号")
    names = _names(selectors.search_points("人民路"))
    # 人民路（城东段） starts with it; 甲小区's address starts with it; 城东人民路口 has it inside a word.
    assert names == ["人民路（城东段）", "甲小区", "城东人民路口"]
    assert _names(selectors.search_points("rml")) == ["人民路（城东段）", "城东人民路口"]
    assert inner.pk and by_address.pk


def test_the_type_filter_is_not_capped(world, roads):
    qs = selectors.search_points("", world.pt_road.pk)
    assert qs.count() == 31  # 人民路（城东段） + 30
    assert "测试路29" in _names(qs)


def test_the_search_column_follows_renames(world):
    point = world.point_b
    assert "|kajd" in point.search_text and "gkjd" not in point.search_text
    world.unit_b.name = "港口街道"
    world.unit_b.short_name = ""
    world.unit_b.save()
    point.refresh_from_db()
    assert "|港口街道" in point.search_text and "|gkjd" in point.search_text
    world.pt_market.name = "菜市场"
    world.pt_market.save()
    point.refresh_from_db()
    assert "|菜市场" in point.search_text and "|csc" in point.search_text
    InspectionPoint.objects.filter(pk=point.pk).update(search_text="")
    assert refresh_point_search() == 1
    assert _names(selectors.search_points("gkjd")) == ["口岸农贸市场"]


def test_the_fragment_reads_q_and_pages_with_more(world, client_for, roads):
    client = client_for(world.inspector)
    # What the 登记问题 form sends: its input is named q (it was point_q, which the view ignored).
    html = client.get("/inspections/search/points/", {"q": "口岸农贸"}).content.decode()
    assert "口岸农贸市场" in html and "人民路（城东段）" not in html
    first = client.get("/inspections/search/points/", {"type": world.pt_road.pk}).content.decode()
    assert first.count("data-pick-point=") == 20 and "测试路29" not in first
    assert "更多点位（还有 11 个）" in first
    more = client.get("/inspections/search/points/", {"type": world.pt_road.pk, "page": 2, "more": 1}).content.decode()
    assert more.count("data-pick-point=") == 11 and "测试路29" in more and "更多点位" not in more
    assert 'data-testid="point-results"' not in more  # rows only, swapped in place of the button


def test_the_finding_form_names_its_point_search_q(world, client_for):
    from tests.inspections_support import inspection

    insp = inspection(world)
    html = client_for(world.inspector).get(f"/inspections/{insp.pk}/findings/new/").content.decode()
    assert 'name="q" id="point-q"' in html and "point_q" not in html


def test_nearby_points_need_coordinates(world, client_for):
    client = client_for(world.inspector)
    html = client.get("/inspections/search/points/", {"lat": "26.79", "lng": "114.90"}).content.decode()
    assert "附近没有已标注坐标的点位" in html
    world.point_b.latitude, world.point_b.longitude = Decimal("26.790000"), Decimal("114.901000")
    world.point_b.save()
    html = client.get("/inspections/search/points/", {"lat": "26.79", "lng": "114.90"}).content.decode()
    assert "口岸农贸市场" in html and "人民路" not in html


def test_imported_points_are_searchable_with_their_coordinates(world):
    from dataload import imports
    from tests.import_workbooks import xlsx

    data = xlsx([
        ["点位名称", "点位类型", "地址", "包保单位", "经度", "纬度"],
        ["迎春社区居民小区", "居民小区", "迎春路8号", "迎春社区", 114.905, 26.795],
        ["口岸农贸市场", "农贸市场", "新明路3号", "口岸街道", None, None],
    ])
    imports.import_apply(campaign=world.campaign, kind="points", data=data)
    created = InspectionPoint.objects.get(name="迎春社区居民小区")
    assert (created.longitude, created.latitude) == (Decimal("114.905000"), Decimal("26.795000"))
    assert _names(selectors.search_points("ycsqjmxq")) == ["迎春社区居民小区"]
    assert _names(selectors.search_points("新明路3")) == ["口岸农贸市场"]  # the updated address


def test_the_demo_points_lie_around_taihe_each_in_its_area():
    from inspections.selectors import distance_m
    from dataload import demo_data as data

    rows = [(road, unit) for road, unit in data.ROADS] + [(p[0], p[3]) for p in data.POINTS]
    coords = {name: tuple(float(x) for x in data.point_coordinates(name, unit)) for name, unit in rows}
    assert len(coords) == len(set(coords.values())) == 77
    # All within 6 km of the city (26.79N 114.90E); 迎春小区 (迎春社区 of 城东街道) within 1 km of 城东's centre.
    assert max(distance_m(26.79, 114.90, lat, lng) for lat, lng in coords.values()) < 6000
    assert distance_m(*data.AREA_CENTRES["城东街道"], *coords["迎春小区"]) < 1000
    assert data.point_coordinates("迎春小区", "迎春社区") == data.point_coordinates("迎春小区", "迎春社区")


@pytest.fixture
def toilet(world):
    """A point whose type has a single standard (1.1.2)."""
    pt = f.PointTypeFactory(name="公共厕所", order=3)
    world.leaf_ads.point_types.add(pt)
    return f.PointFactory(name="人民路公厕", point_type=pt, unit=world.unit_a, address="人民路120号旁")


def test_a_picked_point_offers_its_types_standards_and_picks_a_single_one(world, client_for, toilet):
    from tests.inspections_support import inspection

    insp = inspection(world)
    client = client_for(world.inspector)
    url = "/inspections/search/indicators/"
    two = client.get(url, {"inspection": insp.pk, "for": "point", "point": world.point_b.pk}).content.decode()
    assert two.count("data-pick-indicator=") == 2 and "农贸市场的测评标准" in two
    assert f'data-pick-indicator="{world.leaf_market.pk}"' in two and f'data-pick-indicator="{world.leaf_ads.pk}"' not in two
    one = client.get(url, {"inspection": insp.pk, "for": "point", "point": toilet.pk})
    html = one.content.decode()
    assert one["HX-Trigger-After-Settle"] == "pick"
    assert f'id="id_indicator" value="{world.leaf_ads.pk}" hx-swap-oob="true"' in html and "1.1.2 户外广告规范" in html
    # Once a standard is chosen, picking another point leaves it alone.
    chosen = client.get(url, {"inspection": insp.pk, "for": "point", "point": world.point_b.pk, "indicator": world.leaf_clean.pk})
    assert chosen.content == b""


def test_the_form_opened_at_a_point_lists_or_chooses_its_standards(world, client_for, toilet):
    from tests.inspections_support import inspection

    insp = inspection(world)
    client = client_for(world.inspector)
    market = client.get(f"/inspections/{insp.pk}/findings/new/", {"point": world.point_b.pk}).content.decode()
    assert market.count("data-pick-indicator=") == 2
    single = client.get(f"/inspections/{insp.pk}/findings/new/", {"point": toilet.pk}).content.decode()
    assert f'name="indicator" value="{world.leaf_ads.pk}"' in single and "data-pick-indicator=" not in single
    assert "已选：<strong data-role=\"label\">1.1.2 户外广告规范</strong>" in single


def test_the_admin_takes_coordinates_and_finds_points_by_pinyin(world):
    from django.test import Client

    root = f.UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    url = f"/admin/campaign/inspectionpoint/{world.point_b.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="latitude"' in form and 'name="longitude"' in form
    response = client.post(url, {
        "name": "口岸农贸市场", "point_type": world.pt_market.pk, "address": "口岸街12号", "unit": world.unit_b.pk,
        "latitude": "26.785100", "longitude": "114.895200", "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    world.point_b.refresh_from_db()
    assert (world.point_b.latitude, world.point_b.longitude) == (Decimal("26.785100"), Decimal("114.895200"))
    found = client.get("/admin/campaign/inspectionpoint/", {"q": "kanmsc"}).content.decode()
    assert "口岸农贸市场" in found and "人民路（城东段）" not in found
