"""Navigation that fits (issue 17, item 1): grouped menus, the user menu, the campaign switcher, breadcrumbs,
the favicon, Chinese page titles, a Chinese admin, and one way to name generated files.
(The browser half — one line at 1024 and 1366 px, the phone menu — is tests/browser/test_navigation.py.)"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.staticfiles import finders
from django.urls import reverse

from campaign.models import CampaignKind
from campaign.navigation import menu_groups
from campaign.periods import file_name
from campaign.selectors import SESSION_KEY, campaigns_for
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def _item(label: str, group: str) -> dict:
    return {"label": label, "url": f"/{label}/", "icon": "", "url_name": label, "group": group}


def test_a_group_with_one_entry_is_a_link_and_an_empty_group_is_hidden():
    nav = menu_groups([_item("首页", ""), _item("我的任务", "工作"), _item("问题整改", "督查"), _item("督办单", "督查")])
    assert [entry["label"] for entry in nav] == ["首页", "我的任务", "督查"]
    assert nav[1]["entries"] == [] and nav[1]["url"] == "/我的任务/"
    assert [e["label"] for e in nav[2]["entries"]] == ["问题整改", "督办单"]


def test_the_navbar_has_group_dropdowns_and_a_user_menu(world, client_for):
    world.admin.is_staff = True
    world.admin.save()
    body = client_for(world.admin).get(reverse("tasks-list")).content.decode()
    nav = body[body.index("<nav"):body.index("</nav>")]
    for group in ("工作", "督查", "考核", "数据"):
        assert re.search(rf'data-bs-toggle="dropdown"[^>]*>(<i [^>]*></i> )?{group}</a>', nav), group
    user_menu = nav[nav.index("cw-user-name"):]
    for words in ("后台管理", "修改密码", "退出"):
        assert words in user_menu
    assert "切换创建活动" not in nav  # one campaign: no switcher


def test_an_official_sees_only_their_groups(world, client_for):
    body = client_for(world.official_a).get(reverse("home")).content.decode()
    nav = body[body.index("<nav"):body.index("</nav>")]
    assert "数据导入" not in nav and "后台管理" not in nav
    assert reverse("tasks-list") in nav


# ------------------------------------------------------------------ the campaign switcher


@pytest.fixture
def two_campaigns(world):
    """创卫 (everybody's, no organising unit) and 城西区's own 文明村镇 campaign (not 城东街道's)."""
    world.health = f.CampaignFactory(slug="taihe-weisheng", name="泰和市2026年创建国家卫生城市", kind=CampaignKind.HYGIENIC_CITY)
    world.west = f.CampaignFactory(slug="chengxi-cunzhen", name="城西区2026年文明村镇创建", kind=CampaignKind.CIVILIZED_TOWN,
                                   unit=world.district_west)
    return world


def test_campaigns_for_follows_the_organising_units_area(two_campaigns):
    w = two_campaigns
    slugs = lambda user: set(campaigns_for(user).values_list("slug", flat=True))  # noqa: E731
    assert slugs(w.official_a) == {"taihe-2026", "taihe-weisheng"}  # 城东街道: not in 城西区
    assert slugs(w.official_b) == {"taihe-2026", "taihe-weisheng", "chengxi-cunzhen"}  # 口岸街道 lies in 城西区
    assert "chengxi-cunzhen" in slugs(w.leader)  # 泰和市 lies above 城西区
    assert slugs(w.nobody) == {"taihe-2026", "taihe-weisheng"}


def test_the_switcher_changes_the_campaign_shown_and_it_sticks(two_campaigns, client_for):
    w = two_campaigns
    client = client_for(w.official_a)
    before = client.get(reverse("tasks-list")).content.decode()
    assert "切换创建活动" in before and "城西区2026年文明村镇创建" not in before  # offered only its own campaigns
    response = client.post(reverse("campaign-switch"), {"campaign": "taihe-weisheng", "next": reverse("tasks-list")})
    assert response.status_code == 302 and response["Location"] == reverse("tasks-list")
    assert client.session[SESSION_KEY] == w.health.pk
    page = client.get(reverse("tasks-list"))
    assert page.context["current_campaign_obj"] == w.health
    assert "已切换到“泰和市2026年创建国家卫生城市”" in page.content.decode()
    assert client.get(reverse("home")).context["current_campaign_obj"] == w.health  # kept for the session


def test_the_switcher_refuses_a_campaign_the_user_is_not_in(two_campaigns, client_for):
    w = two_campaigns
    client = client_for(w.official_a)
    response = client.post(reverse("campaign-switch"), {"campaign": "chengxi-cunzhen"})
    assert response.status_code == 403
    assert "您不参与该创建活动" in response.content.decode()
    assert SESSION_KEY not in client.session
    # Nor through the address bar or a stale session.
    assert client.get(reverse("home"), {"campaign": "chengxi-cunzhen"}).context["current_campaign_obj"] != w.west
    session = client.session
    session[SESSION_KEY] = w.west.pk
    session.save()
    assert client.get(reverse("home")).context["current_campaign_obj"] != w.west


def test_the_switcher_only_takes_a_post_and_a_local_next(two_campaigns, client_for):
    client = client_for(two_campaigns.official_a)
    assert client.get(reverse("campaign-switch"), {"campaign": "taihe-weisheng"}).status_code == 405
    response = client.post(reverse("campaign-switch"), {"campaign": "taihe-weisheng", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


# ------------------------------------------------------------------ breadcrumbs, favicon, titles, admin, file names


def test_detail_pages_have_breadcrumbs(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="新建公益广告宣传栏", indicator=world.leaf_ads)
    body = client_for(world.admin).get(reverse("tasks-detail", args=[task.pk])).content.decode()
    crumbs = body[body.index('data-testid="breadcrumbs"'):]
    crumbs = crumbs[:crumbs.index("</nav>")]
    assert [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li[^>]*>.*?</li>", crumbs)] == [
        "首页", "工作", "我的任务", str(task.code or task.pk)]
    for template in ("inspections/finding_detail.html", "inspections/order_detail.html", "inspections/inspection_detail.html",
                     "reports/month_detail.html", "reports/month_unit.html", "tasks/detail.html"):
        assert "includes/breadcrumbs.html" in (ROOT / "templates" / template).read_text(encoding="utf-8"), template


def test_the_favicon_is_in_static_and_every_page_links_it(world, client_for):
    assert finders.find("favicon.svg") and finders.find("favicon.ico")
    assert (Path(finders.find("favicon.ico")).read_bytes()[:4]) == b"\x00\x00\x01\x00"  # an ICO file
    body = client_for(world.official_a).get(reverse("home")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg[^"]*" type="image/svg\+xml">', body)


def test_every_page_template_has_a_chinese_title():
    missing = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if '{% extends "base.html" %}' not in text:
            continue
        title = re.search(r"{% block title %}(.*?){% endblock %}", text, re.S)
        if title is None or not (CJK.search(title.group(1)) or "{{" in title.group(1)):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, "Pages without a Chinese <title>: " + ", ".join(missing)


def test_the_admin_index_has_no_english_app_or_model_names(admin_client):
    response = admin_client.get(reverse("admin:index"))
    names = [(app["name"], [model["name"] for model in app["models"]]) for app in response.context["app_list"]]
    assert any(app == "登录防护" for app, _ in names)  # django-axes, "Axes" before
    english = [f"{app}: {model}" for app, models in names for model in [app, *models] if not CJK.search(str(model))]
    assert not english, english
    AccessAttempt.objects.create(username="chengdong", ip_address="10.0.0.8", user_agent="Mozilla", get_data="", post_data="",
                                 http_accept="*/*", path_info="/login/", failures_since_start=1)
    axes_page = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "登录尝试" in axes_page and "IP 地址" in axes_page and "access attempt" not in axes_page


def test_the_captcha_catalogue_does_not_reword_djangos_required_message():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("This field is required.") == "这个字段是必填项。"  # captcha says 这个字段是必须的


def test_generated_file_names_write_a_month_one_way():
    assert file_name("泰和市{month}考核数据", "xlsx", month=dt.date(2026, 9, 1)) == "泰和市2026年9月考核数据.xlsx"
    assert file_name("问题清单", "xlsx", day=dt.date(2026, 11, 5)) == "问题清单-20261105.xlsx"
    assert file_name('通报/草稿:"1"', ".pdf") == "通报-草稿--1-.pdf"
    # The monthly workbook and the bulletin now write the month alike (they were 2026年09月 and 2026年9月).
    from reports.data import ReportData

    data = ReportData(campaign_name="泰和市2026年创建全国文明城市", city_name="泰和市", year=2026, month=dt.date(2026, 9, 1),
                      is_published=False, as_of=dt.date(2026, 9, 30), units=[], groups=[], kind_label="全国文明城市")
    assert data.title == "泰和市创建全国文明城市2026年9月考核结果通报"
    assert data.file_stem == "泰和市2026年9月考核"


def test_the_month_is_written_one_way_in_messages_and_names(world):
    from campaign.models import AssessmentPeriod

    period = AssessmentPeriod(campaign=world.campaign, month=dt.date(2026, 9, 1))
    assert str(period) == "泰和市2026年创建全国文明城市 2026年9月"
