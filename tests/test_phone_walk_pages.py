"""Page defects found by walking the demo site as its users do (375 px and 1366 px), checked through the
test client."""
from __future__ import annotations

import re

from tests.test_materials import _accept, mat, submit  # noqa: F401  (mat is a fixture)
from tests.test_snaps import snap_world  # noqa: F401  (a fixture)


def test_the_matrix_bottom_row_names_each_units_tally(mat, client_for):  # noqa: F811
    """On a phone the bottom row becomes one line per unit: each line says whose 合格率/报送率 it is
    (it was 40 lines all labelled 合格/报送)."""
    for name in ("工作方案", "会议记录", "活动照片"):  # 城东街道: 2.1.1 合格, 2.1.2 缺报
        _accept(mat, submit(mat, mat.items[name], text="见附件"))
    body = client_for(mat.admin).get("/materials/").content.decode()
    foot = re.search(r"<tfoot>(.*?)</tfoot>", body, re.S).group(1)
    assert "各单位合格率/报送率" in foot
    labels = re.findall(r'<td data-label="([^"]+)">([^<]*)</td>', foot)
    assert labels[:2] == [("城东街道", "50.0% / 50.0%"), ("口岸街道", "0.0% / 0.0%")]
    assert "合格/报送\"" not in foot


def test_the_survey_list_offers_the_interview_only_to_those_who_may_interview(world, client_for):
    """A leader reads results but may not interview: the 入户调查 button led them to a 404."""
    from tests.test_surveys import make_survey

    survey = make_survey(world)
    assert survey.allow_interview and survey.status == "open"
    interview = f'href="/surveys/{survey.pk}/interview/"'
    leader = client_for(world.leader)
    body = leader.get("/surveys/").content.decode()
    assert f'href="/surveys/{survey.pk}/results/"' in body and interview not in body
    assert leader.get(f"/surveys/{survey.pk}/interview/").status_code == 404
    assert interview in client_for(world.inspector).get("/surveys/").content.decode()
    assert interview in client_for(world.official_a).get("/surveys/").content.decode()


def test_the_captcha_image_is_described_in_chinese(db):
    """Public forms (随手拍, 问卷): the CAPTCHA image's alt text, read aloud by screen readers, was 'captcha'."""
    from django import forms

    from campaign import public

    class Form(forms.Form):
        captcha = public.CaptchaField()

    html = str(Form()["captcha"])
    assert 'alt="验证码图片"' in html and 'alt="captcha"' not in html
    assert 'src="/captcha/image/' in html and 'name="captcha_1"' in html


def test_a_narrow_trend_chart_over_many_months_labels_only_the_latest_score():
    import datetime as dt
    from decimal import Decimal

    from reports.charts import trend_svg
    from reports.selectors import TrendPoint

    def points(n):
        return [TrendPoint(month=dt.date(2026, m, 1), score=Decimal("99.00") - m, rank=None, published=True)
                for m in range(1, n + 1)]

    def score_labels(svg):
        return re.findall(r'font-size="10" fill="#212529">([\d.]+)</text>', svg)

    # 7 months in 340 units: 47 apart, every score written.
    assert score_labels(str(trend_svg(points(7), width=340, height=200))) == [f"{99 - m}.00" for m in range(1, 8)]
    # 12 months: 25 apart, the labels would overlap; only the latest is written, every point keeps its tooltip.
    narrow = str(trend_svg(points(12), width=340, height=200))
    assert score_labels(narrow) == ["87.00"] and narrow.count("<title>2026年") == 12
    assert len(score_labels(str(trend_svg(points(12))))) == 12  # the wide chart: all


def test_pages_of_their_own_name_the_site_icon(world, client, client_for):
    """A page not built on base.html named no icon, so the browser asked for /favicon.ico: a 404 (and a
    console error) on the survey poster, the public survey and the error pages."""
    from django.template.loader import render_to_string

    from tests.test_surveys import make_survey

    icon = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    survey = make_survey(world)
    assert icon in client_for(world.admin).get(f"/surveys/{survey.pk}/poster/").content.decode()
    public = client.get(f"/surveys/s/{survey.token}/")
    assert public.status_code == 200 and icon in public.content.decode()
    for name in ("400.html", "403_csrf.html", "500.html"):
        assert icon in render_to_string(name), name


def test_breadcrumbs_are_announced_in_chinese(world, client_for):
    """Screen readers read a nav's label aloud: the breadcrumbs were labelled 'breadcrumb'."""
    from pathlib import Path

    from django.conf import settings

    from tests import factories as f

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    body = client_for(world.admin).get(f"/tasks/{task.pk}/").content.decode()
    assert '<nav aria-label="当前位置" class="cw-breadcrumb"' in body
    english = [str(p.relative_to(settings.BASE_DIR)) for p in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
               if 'aria-label="breadcrumb"' in p.read_text(encoding="utf-8")]
    assert english == []


def test_the_audit_log_links_a_snap_only_for_those_who_may_open_it(snap_world, client_for):  # noqa: F811
    """A leader reads the audit log but may not open a 随手拍: its link led to a 404."""
    from campaign import audit
    from tests import factories as f
    from tests.test_snaps import report

    w = snap_world
    snap = report(w, description="坡子街路口垃圾堆了三天")  # audited as snap.submit
    task = f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_ads)
    audit.record("task.update", actor=w.admin, obj=task)
    snap_link, task_link = f'href="/snaps/{snap.pk}/"', f'href="/tasks/{task.pk}/"'

    leader = client_for(w.leader)
    body = leader.get("/campaign/audit/").content.decode()
    assert "坡子街路口垃圾堆了三天" in body and snap_link not in body
    assert task_link in body  # other objects keep their links
    assert leader.get(f"/snaps/{snap.pk}/").status_code == 404
    admin = client_for(w.admin).get("/campaign/audit/").content.decode()
    assert snap_link in admin and task_link in admin


def test_the_pdf_bulletins_summary_reads_the_same_figures_as_the_page():
    """The PDF's front part got the month's figures with the finding rows dropped: its 按期整改率 read
    29/0 where the page said 29/34."""
    import dataclasses

    from reports import renderers
    from reports.data import summary_figures, without_rows
    from tests.test_reports_jobs import _hand_built, _unit

    data = _hand_built([("乡镇街道组", [_unit(1, "城东街道", "乡镇街道组", 3), _unit(2, "口岸街道", "乡镇街道组", 1)])])
    data = dataclasses.replace(data, findings=[object()] * 34, rectified_on_time=29)
    figures = dict(summary_figures(data))
    assert "按期整改率（29/34）" in figures
    front = renderers.bulletin_part_payload(data, renderers.plan_bulletin_chunks(data, max_rows=50)[0])
    assert front["front"] and dict(summary_figures(front["data"])) == figures
    assert dict(summary_figures(without_rows(data))) == figures  # the month page's copy
