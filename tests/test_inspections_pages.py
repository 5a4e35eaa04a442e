"""Pages through the Django test client: access (404 for other units, leaders read only), forms, exports."""
from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inspections import services
from inspections.models import Finding, FindingStatus, Rectification, SupervisionOrder
from tests.inspections_support import inspection, png


@pytest.fixture
def finding_a(world) -> Finding:
    return services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=world.point_a, indicator=world.leaf_clean,
        description="人民路两侧垃圾未及时清运", photos=[png()],
    )


@pytest.fixture
def finding_b(world) -> Finding:
    return services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=world.point_b, indicator=world.leaf_market,
        description="=HYPERLINK(\"http://evil\") 占道经营",
    )


def test_officials_see_only_their_units_findings(world, client_for, finding_a, finding_b):
    page = client_for(world.official_a).get("/inspections/findings/").content.decode()
    assert "人民路两侧垃圾未及时清运" in page and "占道经营" not in page


def test_another_units_finding_order_and_photo_are_404(world, client_for, finding_a, finding_b):
    order = services.order_issue(issuer=world.inspector, unit=world.unit_b, findings=[finding_b], deadline_working_days=5)
    client = client_for(world.official_a)
    assert client.get(f"/inspections/findings/{finding_b.pk}/").status_code == 404
    assert client.get(f"/inspections/orders/{order.pk}/").status_code == 404
    assert client.get(f"/inspections/orders/{order.pk}/pdf/").status_code == 404
    assert client.get(f"/inspections/findings/{finding_b.pk}/rectify/").status_code == 404
    photo = finding_a.photos.get()
    assert client_for(world.official_b).get(f"/inspections/photos/finding/{photo.pk}/").status_code == 404


def test_the_photo_is_served_to_its_unit_with_nosniff(world, client_for, finding_a):
    photo = finding_a.photos.get()
    response = client_for(world.official_a).get(f"/inspections/photos/finding/{photo.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_officials_do_not_see_inspection_pages(world, client_for, finding_a):
    client = client_for(world.official_a)
    assert client.get("/inspections/").status_code == 404
    assert client.get(f"/inspections/{finding_a.inspection_id}/").status_code == 404
    assert client.get(f"/inspections/{finding_a.inspection_id}/findings/new/").status_code == 404


def test_leaders_read_but_cannot_write(world, client_for, finding_a):
    client = client_for(world.leader)
    assert client.get("/inspections/").status_code == 200
    assert client.get(f"/inspections/findings/{finding_a.pk}/").status_code == 200
    assert client.get(f"/inspections/{finding_a.inspection_id}/findings/new/").status_code == 404
    assert client.get("/inspections/orders/new/").status_code == 404
    assert client.post(f"/inspections/findings/{finding_a.pk}/withdraw/", {"reason": "x"}).status_code == 404
    finding_a.refresh_from_db()
    assert finding_a.status == FindingStatus.OPEN


def test_the_inspector_logs_a_finding_on_the_phone_form_and_a_double_post_makes_one(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    form = client.get(f"/inspections/{insp.pk}/findings/new/").content.decode()
    assert 'capture="environment"' in form and 'accept="image/*"' in form
    data = {
        "client_token": str(uuid.uuid4()), "point": world.point_a.pk, "indicator": world.leaf_clean.pk,
        "description": "果皮纸屑未清扫", "points": "",
    }
    first = client.post(f"/inspections/{insp.pk}/findings/new/", {**data, "photos": png()})
    second = client.post(f"/inspections/{insp.pk}/findings/new/", {**data, "photos": png()})
    finding = Finding.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/inspections/findings/{finding.pk}/"
    assert finding.points == Decimal("0.30") and finding.unit == world.unit_a and finding.photos.count() == 1


def test_the_form_shows_the_rule_error_in_chinese(world, client_for):
    insp = inspection(world)
    response = client_for(world.inspector).post(f"/inspections/{insp.pk}/findings/new/", {
        "client_token": str(uuid.uuid4()), "point": world.point_a.pk, "indicator": world.leaf_clean.pk,
        "description": "果皮纸屑", "points": "0.9",
    })
    assert response.status_code == 200
    assert "扣分 0.90 分超过规则允许的上限：市级检查每个问题扣 0.30 分" in response.content.decode()
    assert not Finding.objects.exists()


def test_point_search_by_words_type_and_location(world, client_for):
    world.point_a.latitude, world.point_a.longitude = Decimal("26.800000"), Decimal("114.900000")
    world.point_a.save()
    world.point_b.latitude, world.point_b.longitude = Decimal("26.810000"), Decimal("114.900000")
    world.point_b.save()
    client = client_for(world.inspector)
    by_words = client.get("/inspections/search/points/", {"q": "农贸"}).content.decode()
    assert "口岸农贸市场" in by_words and "人民路" not in by_words
    by_type = client.get("/inspections/search/points/", {"type": world.pt_road.pk}).content.decode()
    assert "人民路（城东段）" in by_type and "口岸农贸市场" not in by_type
    near = client.get("/inspections/search/points/", {"lat": "26.8095", "lng": "114.9"}).content.decode()
    # 0.0005° of latitude ≈ 56 m to the market, ≈ 1.06 km to 人民路: the market comes first.
    assert near.index("口岸农贸市场") < near.index("人民路")
    assert "56 米" in near


def test_indicator_search_by_code_or_words(world, client_for):
    client = client_for(world.inspector)
    by_code = client.get("/inspections/search/indicators/", {"q": "1.1"}).content.decode()
    assert "1.1.1" in by_code and "1.1.2" in by_code and "1.2.1" not in by_code
    by_words = client.get("/inspections/search/indicators/", {"q": "占道"}).content.decode()
    assert "1.2.1 农贸市场管理规范" in by_words and "1.1.1" not in by_words


def test_the_suggestion_fragment_names_the_rule(world, client_for):
    insp = inspection(world, level="district")
    html = client_for(world.inspector).get(
        f"/inspections/{insp.pk}/suggest/", {"point": world.point_a.pk, "indicator": world.leaf_clean.pk}
    ).content.decode()
    assert "建议扣分 <strong>0.20</strong>" in html and "区级检查每个问题扣 0.20 分" in html


def test_the_whole_loop_through_the_pages(world, client_for, finding_a):
    office = client_for(world.inspector)
    response = office.post("/inspections/orders/new/", {
        "unit": world.unit_a.pk, "findings": [finding_a.pk], "deadline_working_days": 5, "requirements": "限期整改",
    })
    order = SupervisionOrder.objects.get()
    assert response["Location"] == f"/inspections/orders/{order.pk}/"
    official = client_for(world.official_a)
    assert order.label in official.get("/").content.decode()  # the unit sees it on its home page
    response = official.post(f"/inspections/findings/{finding_a.pk}/rectify/", {
        "description": "已清运", "after_photos": png("后.png", "green"),
    })
    assert response.status_code == 302
    rect = Rectification.objects.get()
    office = client_for(world.inspector)
    office.post(f"/inspections/rectifications/{rect.pk}/review/", {"decision": "return", "comment": ""})
    rect.refresh_from_db()
    assert rect.status == "pending"  # a return without a reason is refused
    office.post(f"/inspections/rectifications/{rect.pk}/review/", {"decision": "accept", "comment": "复核通过"})
    finding_a.refresh_from_db()
    assert finding_a.status == FindingStatus.ACCEPTED
    detail = office.get(f"/inspections/findings/{finding_a.pk}/").content.decode()
    assert "第1轮" in detail and "复核通过" in detail


def test_an_official_cannot_review_their_own_answer(world, client_for, finding_a):
    services.rectification_submit(official=world.official_a, finding=finding_a, description="已清运", after_photos=[png()])
    rect = Rectification.objects.get()
    client_for(world.official_a).post(f"/inspections/rectifications/{rect.pk}/review/", {"decision": "accept"})
    finding_a.refresh_from_db()
    assert finding_a.status == FindingStatus.SUBMITTED


def test_withdrawal_through_the_page_keeps_and_shows_the_reason(world, client_for, finding_a):
    client = client_for(world.inspector)
    client.post(f"/inspections/findings/{finding_a.pk}/withdraw/", {"reason": "系重复录入"})
    finding_a.refresh_from_db()
    assert finding_a.status == FindingStatus.WITHDRAWN
    assert "系重复录入" in client_for(world.official_a).get(f"/inspections/findings/{finding_a.pk}/").content.decode()


def test_the_xlsx_export_is_safe_against_formula_injection_and_respects_units(world, client_for, finding_a, finding_b):
    response = client_for(world.inspector).get("/inspections/findings/export.xlsx")
    ws = load_workbook(io.BytesIO(response.getvalue())).active  # streamed (FileResponse)
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "发现日期", "计分月份")
    descriptions = {r[8] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\") 占道经营" in descriptions
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    official = client_for(world.official_a).get("/inspections/findings/export.xlsx")
    rows = list(load_workbook(io.BytesIO(official.getvalue())).active.iter_rows(values_only=True))
    assert [r[4] for r in rows[1:]] == ["城东街道"]


def test_the_findings_pdf_embeds_the_photo(world, client_for, finding_a):
    import pypdf

    response = client_for(world.inspector).get("/inspections/findings/export.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "人民路两侧垃圾未及时清运" in text and "城东街道" in text
    assert sum(len(p.images) for p in reader.pages) == 1


def test_filters_by_month_status_and_overdue(world, client_for, finding_a, finding_b, monkeypatch):
    from inspections import views

    monkeypatch.setattr(views.timezone, "localdate", lambda *a: dt.date(2026, 10, 20))
    services.finding_withdraw(actor=world.inspector, finding=finding_b, reason="误报")
    client = client_for(world.inspector)
    html = client.get("/inspections/findings/", {"status": "withdrawn"}).content.decode()
    assert f"#{finding_b.pk}<" in html and f"#{finding_a.pk}<" not in html
    assert f"#{finding_a.pk}<" not in client.get("/inspections/findings/", {"month": "2026-09"}).content.decode()
    # On 10-20 the 10-19 deadline has passed: finding_a is overdue, the withdrawn one is not.
    html = client.get("/inspections/findings/", {"overdue": "1"}).content.decode()
    assert f"#{finding_a.pk}<" in html and f"#{finding_b.pk}<" not in html
    assert 'class="overdue" title="已逾期">10-19<' in html


def test_the_point_history_shows_photos_to_its_unit_only(world, client_for, finding_a):
    html = client_for(world.official_a).get(f"/inspections/points/{world.point_a.pk}/").content.decode()
    assert "人民路两侧垃圾未及时清运" in html and "/inspections/photos/finding/" in html
    assert client_for(world.official_b).get(f"/inspections/points/{world.point_a.pk}/").status_code == 404


def test_the_order_pdf_downloads_for_its_unit(world, client_for, finding_a):
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding_a], deadline_working_days=5)
    response = client_for(world.official_a).get(f"/inspections/orders/{order.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_every_inspections_page_renders_for_the_office(world, client_for, finding_a):
    client = client_for(world.admin)
    for url in ("/inspections/", "/inspections/new/", f"/inspections/{finding_a.inspection_id}/", "/inspections/findings/",
                "/inspections/rectifications/", "/inspections/orders/", "/inspections/orders/new/",
                f"/inspections/orders/new/?finding={finding_a.pk}", "/inspections/adjustments/",
                "/inspections/corrections/new/", "/inspections/bonuses/new/", "/inspections/accountability/new/",
                f"/inspections/{finding_a.inspection_id}/checklist/{world.point_a.pk}/", "/inspections/matrix/"):
        assert client.get(url).status_code == 200, url


def test_the_inspector_creates_an_inspection_through_the_page(world, client_for):
    response = client_for(world.inspector).post("/inspections/new/", {
        "kind": "spot_check", "source_level": "city", "date": "2026-11-27", "title": "11月暗访抽查", "scope": "城东片区",
        "special_action": world.action.pk,
    })
    assert response.status_code == 302
    from inspections.models import Inspection

    insp = Inspection.objects.get()
    assert list(insp.inspectors.all()) == [world.inspector] and insp.special_action == world.action


def test_the_inspector_adds_photos_later_and_the_official_cannot(world, client_for, finding_a):
    client_for(world.official_a).post(f"/inspections/findings/{finding_a.pk}/photos/", {"photos": png()})
    assert finding_a.photos.count() == 1
    client_for(world.inspector).post(f"/inspections/findings/{finding_a.pk}/photos/", {"photos": [png(), png("b.png")]})
    assert finding_a.photos.count() == 3


def test_findings_filter_by_inspector(world, client_for, finding_a):
    client = client_for(world.admin)
    assert f"#{finding_a.pk}<" in client.get("/inspections/findings/", {"inspector": world.inspector.pk}).content.decode()
    assert f"#{finding_a.pk}<" not in client.get("/inspections/findings/", {"inspector": world.admin.pk}).content.decode()


def test_accountability_opened_from_an_overdue_finding_is_prefilled_and_linked(world, client_for, finding_a, monkeypatch):
    from inspections import views
    from inspections.models import Accountability

    monkeypatch.setattr(views.timezone, "localdate", lambda *a: dt.date(2026, 10, 20))
    client = client_for(world.admin)
    html = client.get(f"/inspections/accountability/new/?finding={finding_a.pk}").content.decode()
    assert "逾期未整改" in html
    client.post("/inspections/accountability/new/", {
        "unit": world.unit_a.pk, "kind": "talk", "date": "2026-10-21", "reason": "逾期未整改，约谈分管负责人",
        "person_name": "张某", "findings": f"{finding_a.pk}",
    })
    record = Accountability.objects.get()
    assert list(record.findings.all()) == [finding_a] and record.person_name == "张某"
    assert client_for(world.inspector).get("/inspections/accountability/new/").status_code == 404


def test_indicator_search_follows_the_inspections_campaign(world, client_for):
    from tests import factories as f

    other = f.CampaignFactory(slug="taihe-hygiene", name="泰和市2026年创建国家卫生城市")
    f.IndicatorFactory(campaign=other, code="7.1.1", name="病媒生物防制", level=3)
    insp = inspection(world)
    insp.campaign = other
    insp.save()
    html = client_for(world.inspector).get("/inspections/search/indicators/", {"q": "7.1", "inspection": insp.pk}).content.decode()
    assert "7.1.1 病媒生物防制" in html
