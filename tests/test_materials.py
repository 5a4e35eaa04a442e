"""材料审核: requirements, submissions with picked evidence, review rounds, the matrix, access, refused files, the zip."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from pypdf import PdfReader

from campaign.models import Notification, Unit, UnitType
from inspections.models import Rectification, RectificationPhoto
from materials import archive, selectors, services
from materials.models import MaterialSettings, Requirement, ReviewStatus, Submission, SubmissionFile
from tasks.models import Evidence, ProgressEntry
from tests import factories as f
from tests.inspections_support import png

TODAY = dt.date(2026, 11, 20)


def pdf(name: str = "工作方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def mat(world):
    """Two 材料审核 standards: 2.1.1 (lead 城东街道, co 口岸街道; 3 items) and 2.1.2 (城东街道 only; 1 item)."""
    c = world.campaign
    top = f.IndicatorFactory(campaign=c, code="2", name="公共文明", level=1, score=Decimal("4.00"))
    mid = f.IndicatorFactory(campaign=c, code="2.1", name="志愿服务", level=2, parent=top, score=Decimal("4.00"))
    world.std_volunteer = f.IndicatorFactory(
        campaign=c, code="2.1.1", name="志愿服务制度", level=3, parent=mid, score=Decimal("2.00"), method="material",
        standard_text="建立志愿服务制度，有工作方案、会议记录和活动照片。", lead_unit=world.unit_a,
    )
    world.std_volunteer.co_units.add(world.unit_b)
    world.std_publicity = f.IndicatorFactory(
        campaign=c, code="2.1.2", name="文明创建宣传", level=3, parent=mid, score=Decimal("2.00"), method="material",
        lead_unit=world.unit_a,
    )
    world.req = services.requirement_save(
        user=world.admin, campaign=c, indicator=world.std_volunteer, deadline=dt.date(2026, 11, 15),
        items=services.parse_items("工作方案\n会议记录\n活动照片 ≥ 2 张"),
    )
    world.req2 = services.requirement_save(
        user=world.admin, campaign=c, indicator=world.std_publicity, deadline=dt.date(2026, 12, 15),
        items=services.parse_items("宣传统计表"),
    )
    world.items = {i.name: i for i in world.req.items.all()}
    return world


def submit(w, item, unit=None, user=None, **kwargs):
    return services.submission_create(item=item, unit=unit or w.unit_a, user=user or w.official_a, **kwargs)[0]


# ---------------------------------------------------------------- requirements

def test_items_are_read_one_per_line_with_their_minimum_file_counts():
    specs = services.parse_items("工作方案\n\n活动照片 ≥ 10 张\n统计表|2|按月汇总\n会议记录>=3")
    assert [(s.name, s.min_files, s.description) for s in specs] == [
        ("工作方案", 1, ""), ("活动照片", 10, ""), ("统计表", 2, "按月汇总"), ("会议记录", 3, ""),
    ]
    with pytest.raises(ValidationError, match="重复"):
        services.parse_items("工作方案\n工作方案")
    with pytest.raises(ValidationError, match="不是整数"):
        services.parse_items("统计表|两份")


def test_a_requirement_names_the_lead_and_co_units_unless_the_office_chooses(mat):
    assert set(mat.req.units.all()) == {mat.unit_a, mat.unit_b}
    assert [(i.name, i.min_files) for i in mat.req.items.all()] == [("工作方案", 1), ("会议记录", 1), ("活动照片", 2)]
    services.requirement_save(user=mat.admin, campaign=mat.campaign, indicator=mat.std_volunteer, deadline=dt.date(2026, 11, 30),
                              items=services.parse_items("工作方案\n活动照片 ≥ 5 张"), units=[mat.unit_b])
    mat.req.refresh_from_db()
    assert list(mat.req.units.all()) == [mat.unit_b]
    assert [(i.name, i.min_files) for i in mat.req.items.all()] == [("工作方案", 1), ("活动照片", 5)]
    assert Requirement.objects.count() == 2  # edited in place


def test_an_item_a_unit_already_submitted_for_cannot_be_removed(mat):
    submit(mat, mat.items["会议记录"], text="已上传会议纪要", files=[pdf("会议记录.pdf")])
    with pytest.raises(ValidationError, match="已有单位报送"):
        services.requirement_save(user=mat.admin, campaign=mat.campaign, indicator=mat.std_volunteer,
                                  deadline=dt.date(2026, 11, 15), items=services.parse_items("工作方案"))
    assert mat.req.items.count() == 3


def test_only_the_office_writes_requirements(mat):
    with pytest.raises(PermissionDenied):
        services.requirement_save(user=mat.official_a, campaign=mat.campaign, indicator=mat.std_publicity,
                                  deadline=dt.date(2026, 12, 1), items=services.parse_items("宣传统计表"))


# ---------------------------------------------------------------- submitting

def test_a_unit_links_its_own_progress_evidence_and_rectification_photos_without_copying(mat):
    task = f.TaskFactory(campaign=mat.campaign, unit=mat.unit_a, indicator=mat.std_volunteer)
    entry = ProgressEntry.objects.create(task=task, author=mat.official_a, text="开展志愿服务活动")
    evidence = Evidence.objects.create(entry=entry, file="evidence/a.png", original_name="活动照片1.png",
                                       content_type="image/png", size=10, sha256="0" * 64)
    finding = f.FindingFactory(campaign=mat.campaign, unit=mat.unit_a, indicator=mat.leaf_clean)
    rect = Rectification.objects.create(finding=finding, round=1, description="已清理", submitted_by=mat.official_a)
    photo = RectificationPhoto.objects.create(rectification=rect, file="rect/a.png", original_name="整改后.png",
                                              content_type="image/png", size=10, sha256="0" * 64)
    sub = submit(mat, mat.items["活动照片"], evidence_ids=[evidence.pk], photo_ids=[photo.pk])
    assert list(sub.task_evidence.all()) == [evidence]
    assert list(sub.rectification_photos.all()) == [photo]
    assert SubmissionFile.objects.count() == 0 and Evidence.objects.count() == 1  # linked, not copied
    rounds = selectors.rounds_for(mat.req, mat.unit_a)
    assert selectors.file_count(rounds[mat.items["活动照片"].pk]) == 2


def test_another_units_evidence_cannot_be_picked(mat):
    task_b = f.TaskFactory(campaign=mat.campaign, unit=mat.unit_b, indicator=mat.std_volunteer)
    entry = ProgressEntry.objects.create(task=task_b, author=mat.official_b, text="口岸街道活动")
    other = Evidence.objects.create(entry=entry, file="evidence/b.png", original_name="b.png", content_type="image/png",
                                    size=10, sha256="0" * 64)
    with pytest.raises(ValidationError, match="只能引用本单位"):
        submit(mat, mat.items["活动照片"], evidence_ids=[other.pk])
    assert not Submission.objects.exists()


def test_the_same_form_posted_twice_creates_one_round(mat):
    token = uuid.uuid4()
    first = submit(mat, mat.items["工作方案"], text="见附件", files=[pdf()], client_token=token)
    again, created = services.submission_create(item=mat.items["工作方案"], unit=mat.unit_a, user=mat.official_a,
                                                text="见附件", files=[pdf()], client_token=token)
    assert again.pk == first.pk and not created
    assert Submission.objects.count() == 1 and SubmissionFile.objects.count() == 1


def test_a_unit_not_named_on_the_standard_cannot_submit(mat):
    with pytest.raises(ValidationError, match="不是"):
        submit(mat, mat.req2.items.get(), unit=mat.unit_b, user=mat.official_b, text="我们也做了")


# ---------------------------------------------------------------- reviewing

def test_review_rounds_are_kept_and_supplement_adds_to_what_was_sent(mat):
    item = mat.items["活动照片"]
    r1 = submit(mat, item, files=[png("活动1.png")])
    with pytest.raises(ValidationError, match="审核中"):
        submit(mat, item, files=[png("活动2.png")])
    services.submission_review(submission=r1, user=mat.admin, status=ReviewStatus.SUPPLEMENT, comment="照片不足2张")
    notice = Notification.objects.get(user=mat.official_a, key=f"material-review:{r1.pk}")
    assert "需补充" in notice.message and "照片不足2张" in notice.message
    r2 = submit(mat, item, files=[png("活动2.png", color="blue")])
    assert r2.round == 2
    rounds = selectors.rounds_for(mat.req, mat.unit_a)[item.pk]
    assert selectors.file_count(rounds) == 2  # round 1's photo still counts
    services.submission_review(submission=r2, user=mat.admin, status=ReviewStatus.ACCEPTED)
    with pytest.raises(ValidationError, match="已审核合格"):
        submit(mat, item, text="再补一张")
    assert [(s.round, s.status) for s in Submission.objects.order_by("round")] == [(1, "supplement"), (2, "accepted")]


def test_after_a_rejection_the_unit_starts_over(mat):
    item = mat.items["活动照片"]
    r1 = submit(mat, item, files=[png("活动1.png")])
    services.submission_review(submission=r1, user=mat.admin, status=ReviewStatus.REJECTED, comment="照片与标准无关")
    assert selectors.file_count(selectors.rounds_for(mat.req, mat.unit_a)[item.pk]) == 0
    submit(mat, item, files=[png("活动2.png")])
    assert selectors.file_count(selectors.rounds_for(mat.req, mat.unit_a)[item.pk]) == 1


def test_supplement_needs_a_comment_and_a_round_is_reviewed_once(mat):
    r1 = submit(mat, mat.items["工作方案"], files=[pdf()])
    with pytest.raises(ValidationError, match="写明"):
        services.submission_review(submission=r1, user=mat.admin, status=ReviewStatus.SUPPLEMENT, comment=" ")
    services.submission_review(submission=r1, user=mat.admin, status=ReviewStatus.ACCEPTED)
    with pytest.raises(ValidationError, match="已审核"):
        services.submission_review(submission=r1, user=mat.admin, status=ReviewStatus.REJECTED, comment="x")


def test_inspectors_review_only_where_the_campaign_allows_it(mat):
    r1 = submit(mat, mat.items["工作方案"], files=[pdf()])
    with pytest.raises(PermissionDenied):
        services.submission_review(submission=r1, user=mat.inspector, status=ReviewStatus.ACCEPTED)
    MaterialSettings.objects.create(campaign=mat.campaign, inspectors_review=True)
    services.submission_review(submission=r1, user=mat.inspector, status=ReviewStatus.ACCEPTED)
    with pytest.raises(PermissionDenied):
        services.submission_review(submission=submit(mat, mat.items["会议记录"], text="x"), user=mat.leader,
                                   status=ReviewStatus.ACCEPTED)


# ---------------------------------------------------------------- completeness

def _accept(w, sub):
    services.submission_review(submission=sub, user=w.admin, status=ReviewStatus.ACCEPTED)


def test_the_matrix_figures_by_hand(mat):
    """2.1.1 (deadline 11-15, passed on 11-20): 城东街道 all three items 合格 → 已合格; 口岸街道 one item
    待审核, two not sent → 逾期. 2.1.2 (deadline 12-15): 城东街道 nothing → 缺报; a third unit column
    (市城管局) named on 2.1.2 sent its one item → 待审核.
    Cells 4: 合格 1, 待审核 1, 逾期 1, 缺报 1 → 合格率 25.0%, 报送率 50.0%.
    城东街道 2 cells: 合格 1 → 50.0%, 报送率 50.0%; 口岸街道 1 cell → 0.0%; 市城管局 1 cell → 合格率 0.0%, 报送率 100.0%."""
    for name in ("工作方案", "会议记录", "活动照片"):
        _accept(mat, submit(mat, mat.items[name], text="见附件"))
    submit(mat, mat.items["工作方案"], unit=mat.unit_b, user=mat.official_b, text="见附件")
    mat.req2.units.add(mat.dept)
    f.MembershipFactory(user=f.UserFactory(username="dept_official"), unit=mat.dept, role="official")
    dept_official = mat.dept.memberships.get().user
    services.submission_create(item=mat.req2.items.get(), unit=mat.dept, user=dept_official, text="统计表见附件")

    m = selectors.completeness(mat.campaign, today=TODAY)
    assert [u.name for u in m.units] == sorted([u.name for u in m.units], key=lambda n: Unit.objects.get(name=n).path)
    cells = {(row.requirement.indicator.code, u.name): s for row in m.rows for u, s in row.pairs}
    assert cells[("2.1.1", "城东街道")] == "accepted"
    assert cells[("2.1.1", "口岸街道")] == "overdue"
    assert cells[("2.1.1", "市城管局")] is None
    assert cells[("2.1.2", "城东街道")] == "missing"
    assert cells[("2.1.2", "市城管局")] == "submitted"
    assert (m.total.cells, m.total.accepted, m.total.submitted, m.total.overdue, m.total.missing) == (4, 1, 1, 1, 1)
    assert (m.total.accepted_pct, m.total.reported_pct) == (Decimal("25.0"), Decimal("50.0"))
    assert m.pending == 2  # 口岸街道's 工作方案 and 市城管局's 宣传统计表 wait for review
    tallies = {u.name: t for u, t in zip(m.units, m.unit_tallies)}
    assert (tallies["城东街道"].accepted_pct, tallies["城东街道"].reported_pct) == (Decimal("50.0"), Decimal("50.0"))
    assert tallies["口岸街道"].accepted_pct == Decimal("0.0")
    assert (tallies["市城管局"].accepted_pct, tallies["市城管局"].reported_pct) == (Decimal("0.0"), Decimal("100.0"))
    # Before 2.1.1's deadline 口岸街道's cell is 缺报, not 逾期.
    early = selectors.completeness(mat.campaign, today=dt.date(2026, 11, 15))
    assert (early.total.overdue, early.total.missing) == (0, 2)


def test_the_home_list_of_what_a_unit_owes(mat):
    r = submit(mat, mat.items["工作方案"], text="见附件")
    services.submission_review(submission=r, user=mat.admin, status=ReviewStatus.SUPPLEMENT, comment="缺盖章页")
    _accept(mat, submit(mat, mat.items["会议记录"], text="见附件"))
    owed = selectors.owed_by(mat.official_a, mat.campaign, today=TODAY)
    assert [(o.requirement.indicator.code, o.item.name, o.state, o.overdue) for o in owed] == [
        ("2.1.1", "工作方案", "supplement", True), ("2.1.1", "活动照片", None, True), ("2.1.2", "宣传统计表", None, False),
    ]


def test_overdue_items_notify_each_unit_once(mat):
    assert services.overdue_notify(today=TODAY) == 2  # 城东街道 and 口岸街道 on 2.1.1
    assert services.overdue_notify(today=TODAY + dt.timedelta(days=1)) == 0
    notice = Notification.objects.get(user=mat.official_b)
    assert "2.1.1" in notice.message and "工作方案、会议记录、活动照片" in notice.message


# ---------------------------------------------------------------- pages and access

def test_another_units_materials_are_a_404(mat, client_for):
    sub = submit(mat, mat.items["工作方案"], files=[pdf()])
    client = client_for(mat.official_b)
    assert client.get(f"/materials/requirements/{mat.req.pk}/units/{mat.unit_a.pk}/").status_code == 404
    assert client.get(f"/materials/files/{sub.files.get().pk}/").status_code == 404
    response = client.post(f"/materials/items/{mat.items['会议记录'].pk}/units/{mat.unit_a.pk}/submit/",
                           {"item%d-text" % mat.items["会议记录"].pk: "x", f"item{mat.items['会议记录'].pk}-client_token": str(uuid.uuid4())})
    assert response.status_code == 404
    assert client.get(f"/materials/requirements/{mat.req2.pk}/").status_code == 404
    assert client_for(mat.official_a).get(f"/materials/files/{sub.files.get().pk}/").status_code == 200


def test_a_bad_file_is_refused_and_nothing_is_written(mat, client_for):
    folder = Path(settings.MEDIA_ROOT) / "materials"
    before = sorted(folder.rglob("*")) if folder.exists() else []
    item = mat.items["工作方案"]
    exe = SimpleUploadedFile("工作方案.pdf", b"MZ\x90\x00" + b"\x00" * 300, content_type="application/pdf")
    response = client_for(mat.official_a).post(
        f"/materials/items/{item.pk}/units/{mat.unit_a.pk}/submit/",
        {f"item{item.pk}-text": "见附件", f"item{item.pk}-client_token": str(uuid.uuid4()),
         f"item{item.pk}-files": [pdf("好的.pdf"), exe]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "不支持的文件类型" in body and "见附件" in body  # the message, and the text kept
    assert not Submission.objects.exists()
    assert (sorted(folder.rglob("*")) if folder.exists() else []) == before


def test_a_unit_submits_through_the_page_and_the_office_accepts(mat, client_for):
    item = mat.items["工作方案"]
    client = client_for(mat.official_a)
    page = client.get(f"/materials/requirements/{mat.req.pk}/units/{mat.unit_a.pk}/")
    assert "每个文件不超过 20 MB" in page.content.decode()
    response = client.post(f"/materials/items/{item.pk}/units/{mat.unit_a.pk}/submit/",
                           {f"item{item.pk}-text": "方案已印发", f"item{item.pk}-client_token": str(uuid.uuid4()),
                            f"item{item.pk}-files": [pdf("志愿服务工作方案.pdf")]})
    assert response.status_code == 302
    sub = Submission.objects.get()
    office = client_for(mat.admin)
    response = office.post(f"/materials/submissions/{sub.pk}/review/", {f"review{sub.pk}-status": "accepted"})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.status == "accepted" and sub.reviewed_by == mat.admin


def test_the_matrix_page_for_office_and_official(mat, client_for):
    _accept(mat, submit(mat, mat.items["工作方案"], text="见附件"))
    body = client_for(mat.admin).get("/materials/").content.decode()
    assert "口岸街道" in body and "合格率" in body
    # A cell is its state's class and word, linking to the unit's page (2.1.1's deadline 11-15 has passed).
    assert (f'<td data-label="城东街道" class="cw-late"><a href="/materials/requirements/{mat.req.pk}/units/{mat.unit_a.pk}/">'
            f'逾期</a></td>') in body
    body = client_for(mat.official_b).get("/materials/").content.decode()
    assert "口岸街道" in body and "2.1.2" not in body and "本单位尚需报送" in body


def _grow(w, standards: int, units: int) -> None:
    """Extra standards and units with one accepted and one pending round each, for the query count."""
    c = w.campaign
    new_units = [f.UnitFactory(name=f"测试社区{w.campaign.pk}-{n}", unit_type=UnitType.COMMUNITY, parent=w.unit_a) for n in range(units)]
    for s in range(standards):
        ind = f.IndicatorFactory(campaign=c, code=f"9.{s}", name=f"标准{s}", level=3, method="material", lead_unit=w.unit_a)
        req = services.requirement_save(user=w.admin, campaign=c, indicator=ind, deadline=dt.date(2026, 11, 1),
                                        items=services.parse_items("方案\n照片"), units=new_units + [w.unit_a])
        for unit in new_units[:2]:
            item = req.items.first()
            Submission.objects.create(item=item, unit=unit, round=1, submitted_by=w.admin, status="accepted")


@pytest.mark.parametrize("standards,units", [(2, 2), (12, 8)])
def test_the_matrix_page_reads_a_constant_number_of_queries(mat, client_for, django_assert_max_num_queries, standards, units):
    _grow(mat, standards, units)
    client = client_for(mat.admin)
    client.get("/materials/")  # session, menu and other per-request caches settle
    with django_assert_max_num_queries(20):
        response = client.get("/materials/")
    assert response.status_code == 200


# ---------------------------------------------------------------- the archive

def test_the_archive_has_the_structure_utf8_names_and_index(mat, tmp_path):
    r1 = submit(mat, mat.items["工作方案"], files=[pdf("志愿服务工作方案.pdf"), pdf("plan.pdf")])
    _accept(mat, r1)
    r2 = submit(mat, mat.items["活动照片"], files=[png("活动1.png")])
    services.submission_review(submission=r2, user=mat.admin, status=ReviewStatus.REJECTED, comment="无关照片")
    submit(mat, mat.items["会议记录"], unit=mat.unit_b, user=mat.official_b, files=[pdf("会议/记录.pdf")])
    out = tmp_path / "a.zip"
    stats = archive.build_archive(mat.campaign, str(out))
    assert stats.files == 3  # the rejected photo is left out
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert all(i.flag_bits & 0x800 for i in infos)
        assert names == [
            "2.1.1 志愿服务制度/封面.pdf",
            "2.1.2 文明创建宣传/封面.pdf",
            "2.1.1 志愿服务制度/城东街道/001_志愿服务工作方案.pdf",
            "2.1.1 志愿服务制度/城东街道/002_plan.pdf",
            "2.1.1 志愿服务制度/口岸街道/001_记录.pdf",
            "目录.xlsx",
        ]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert zf.read("2.1.1 志愿服务制度/城东街道/002_plan.pdf").startswith(b"%PDF-")
        for code, name in (("2.1.1", "志愿服务制度"), ("2.1.2", "文明创建宣传")):
            cover = PdfReader(io.BytesIO(zf.read(f"{code} {name}/封面.pdf")))
            assert len(cover.pages) == 1 and f"{code} {name}" in cover.pages[0].extract_text()
        sheet = load_workbook(io.BytesIO(zf.read("目录.xlsx"))).active
        rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == archive.INDEX_HEADERS
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("2.1.1", "工作方案", "城东街道", "2.1.1 志愿服务制度/城东街道/001_志愿服务工作方案.pdf", "合格", "王主任"),
        ("2.1.1", "工作方案", "城东街道", "2.1.1 志愿服务制度/城东街道/002_plan.pdf", "合格", "王主任"),
        ("2.1.1", "会议记录", "口岸街道", "2.1.1 志愿服务制度/口岸街道/001_记录.pdf", "待审核", None),
    ]


def test_an_officials_archive_holds_only_their_unit(mat, tmp_path):
    submit(mat, mat.items["工作方案"], files=[pdf("城东方案.pdf")])
    submit(mat, mat.items["工作方案"], unit=mat.unit_b, user=mat.official_b, files=[pdf("口岸方案.pdf")])
    out = tmp_path / "b.zip"
    archive.build_archive(mat.campaign, str(out), user=mat.official_b, covers=False)
    with zipfile.ZipFile(out) as zf:
        assert [n for n in zf.namelist() if n.endswith(".pdf")] == ["2.1.1 志愿服务制度/口岸街道/001_口岸方案.pdf"]


def test_a_file_missing_from_storage_is_left_out_and_named_in_the_index(mat, tmp_path):
    from django.core.files.storage import default_storage

    sub = submit(mat, mat.items["工作方案"], files=[pdf("第一份.pdf"), pdf("第二份.pdf")])
    gone = sub.files.order_by("pk").first()
    default_storage.delete(gone.file.name)
    out = tmp_path / "m.zip"
    stats = archive.build_archive(mat.campaign, str(out), covers=False)
    assert (stats.files, stats.missing) == (1, [gone.file.name])
    with zipfile.ZipFile(out) as zf:
        assert [n for n in zf.namelist() if n.endswith(".pdf")] == ["2.1.1 志愿服务制度/城东街道/002_第二份.pdf"]
        rows = [tuple(c.value for c in row) for row in load_workbook(io.BytesIO(zf.read("目录.xlsx"))).active.iter_rows()]
    assert [r[4] for r in rows[1:]] == ["（文件缺失，未打包）", "2.1.1 志愿服务制度/城东街道/002_第二份.pdf"]


def test_the_units_home_shows_what_it_still_owes(mat, client_for):
    body = client_for(mat.official_a).get("/?view=work").content.decode()
    assert 'data-testid="home-materials"' in body and "尚需报送 4 项" in body
    body = client_for(mat.inspector).get("/").content.decode()
    assert 'data-testid="home-materials"' not in body


def test_the_archive_job_is_built_on_disk_and_downloaded_with_an_audit_row(mat, client_for, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from campaign.models import AuditLog
    from reports.models import JobStatus, ReportJob

    submit(mat, mat.items["工作方案"], files=[pdf("志愿服务工作方案.pdf")])
    client = client_for(mat.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports-export-request"), {"kind": "materials-zip"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.DONE, job.error
    assert job.filename.endswith(".zip") and job.file.name.endswith(".zip")
    assert not list((Path(settings.MEDIA_ROOT) / "reports" / "tmp").glob("materials-*.zip"))  # moved, not copied
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as zf:
        assert "2.1.1 志愿服务制度/城东街道/001_志愿服务工作方案.pdf" in zf.namelist()
    assert AuditLog.objects.filter(action="file.download", object_id=str(job.pk)).count() == 1
    # Another unit's official cannot open it.
    assert client_for(mat.official_b).get(reverse("reports-job-download", args=[job.pk])).status_code == 404


# ---------------------------------------------------------------- scores

def test_material_scores_enter_the_monthly_score_only_where_the_campaign_says_so(mat):
    from reports.scoring import score_month

    services.score_set(requirement=mat.req, unit=mat.unit_b, user=mat.admin, points=Decimal("1.50"),
                       scored_on=dt.date(2026, 11, 10), note="会议记录不全")
    services.score_set(requirement=mat.req, unit=mat.unit_a, user=mat.admin, passed=True, scored_on=dt.date(2026, 11, 12))
    november = dt.date(2026, 11, 1)
    # Default: readiness only — no line, full score.
    b = score_month(campaign=mat.campaign, month=november, today=TODAY).get(mat.unit_b.pk)
    assert b.score == Decimal("100.00") and not [l for l in b.lines if l.kind == "material"]
    MaterialSettings.objects.create(campaign=mat.campaign, score_use="monthly")
    scores = score_month(campaign=mat.campaign, month=november, today=TODAY)
    b, a = scores.get(mat.unit_b.pk), scores.get(mat.unit_a.pk)
    lines = [(l.label, l.points) for l in b.lines if l.kind == "material"]
    assert lines == [("材料审核 2.1.1 志愿服务制度：得1.50分（分值2.00分），会议记录不全", Decimal("-0.50"))]
    assert b.score == Decimal("99.50")  # 100 − (2.00 − 1.50)
    assert a.score == Decimal("100.00") and [l.points for l in a.lines if l.kind == "material"] == [Decimal("0.00")]
    # Scored in November: October has no line.
    october = score_month(campaign=mat.campaign, month=dt.date(2026, 10, 1), today=TODAY).get(mat.unit_b.pk)
    assert not [l for l in october.lines if l.kind == "material"]


def test_material_scores_enter_the_years_score_where_the_campaign_counts_them_annually(mat, client_for):
    """Annual use, hand computed. October: 口岸街道 loses 0.80 on 1.1.1 → 99.20; 城东街道 100.00. November:
    everyone 100.00 (the material scores dated in November do not enter the month). Weights: November 2.
    Months' average: 口岸街道 (99.20 + 2 × 100.00) ÷ 3 = 99.7333… → 99.73; 城东街道 100.00.
    Materials: 口岸街道 2.1.1 scored 1.50 of 2.00 on 11-10 → −0.50 (not weighted) → 99.23;
    城东街道 2.1.1 合格 on 11-12 → 0.00; its 2.1.2 scored 0.50 on 12-03 lies in open December → not counted
    (counted it would be −1.50 → 98.50). Readiness only: 99.73 and 100.00, no lines."""
    from django.core.management import call_command
    from openpyxl import load_workbook as load

    from reports.data import report_data, year_data
    from reports.renderers import render_workbook_xlsx
    from reports.scoring import score_month
    from reports.services import period_publish

    w = mat
    w.campaign.annual_weights = {"2026-11": 2}
    w.campaign.save(update_fields=["annual_weights"])
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_clean,
                     points=Decimal("0.80"), rectify_deadline=dt.date(2026, 12, 31))
    services.score_set(requirement=w.req, unit=w.unit_b, user=w.admin, points=Decimal("1.50"),
                       scored_on=dt.date(2026, 11, 10), note="会议记录不全")
    services.score_set(requirement=w.req, unit=w.unit_a, user=w.admin, passed=True, scored_on=dt.date(2026, 11, 12))
    services.score_set(requirement=w.req2, unit=w.unit_a, user=w.admin, points=Decimal("0.50"), scored_on=dt.date(2026, 12, 3))
    MaterialSettings.objects.create(campaign=w.campaign, score_use="annual")
    november = score_month(campaign=w.campaign, month=dt.date(2026, 11, 1), today=TODAY).get(w.unit_b.pk)
    assert november.score == Decimal("100.00") and not [l for l in november.lines if l.kind == "material"]
    period_publish(campaign=w.campaign, month=dt.date(2026, 10, 1), actor=w.admin, today=dt.date(2026, 11, 5))
    period_publish(campaign=w.campaign, month=dt.date(2026, 11, 1), actor=w.admin, today=dt.date(2026, 12, 4), confirm_empty=True)

    year = year_data(campaign=w.campaign, year=2026)
    units = {u.unit_name: u for u in year.units}
    b, a = units["口岸街道"], units["城东街道"]
    assert year.material_counted
    assert (b.months_average, b.material_points, b.average, b.rank) == (Decimal("99.73"), Decimal("-0.50"), Decimal("99.23"), 2)
    assert b.material_lines == [("材料审核 2.1.1 志愿服务制度：得1.50分（分值2.00分），会议记录不全，计入年度考核得分", Decimal("-0.50"))]
    assert (a.months_average, a.average, a.rank) == (Decimal("100.00"), Decimal("100.00"), 1)
    assert [label for label, _ in a.material_lines] == ["材料审核 2.1.1 志愿服务制度：得2.00分（分值2.00分），计入年度考核得分"]

    page = client_for(w.official_a).get("/reports/years/2026/").content.decode()
    assert "材料审核得分计入年度考核得分" in page and "99.23" in page and "计入年度考核得分 <strong>-0.50</strong>" in page
    sheet = list(load(io.BytesIO(render_workbook_xlsx(report_data(campaign=w.campaign, month=dt.date(2026, 11, 1))).content))["年度汇总"]
                 .iter_rows(values_only=True))
    assert sheet[0][-2:] == ("月份平均", "材料审核")
    assert [r for r in sheet if r[2] == "口岸街道"][0][3:5] + [r for r in sheet if r[2] == "口岸街道"][0][-2:] == (99.23, 2, 99.73, -0.5)
    out = io.StringIO()
    call_command("monthly_scores", "--year", "2026", "--campaign", w.campaign.slug, "--json", stdout=out)
    row = [u for u in __import__("json").loads(out.getvalue())["units"] if u["unit"] == "口岸街道"][0]
    assert (row["average"], row["months_average"], row["material_lines"][0]["points"]) == ("99.23", "99.73", "-0.50")

    # Readiness only: the year is the months' average, no material lines.
    MaterialSettings.objects.filter(campaign=w.campaign).update(score_use="readiness")
    plain = {u.unit_name: u for u in year_data(campaign=w.campaign, year=2026).units}
    assert (plain["口岸街道"].average, plain["城东街道"].average) == (Decimal("99.73"), Decimal("100.00"))
    assert not plain["口岸街道"].material_lines


def test_the_settings_form_offers_the_annual_use(mat, client_for):
    response = client_for(mat.admin).post("/materials/settings/", {"score_use": "annual"})
    assert response.status_code == 302
    assert MaterialSettings.objects.get(campaign=mat.campaign).score_use == "annual"


def test_a_score_above_the_standards_points_is_refused(mat):
    with pytest.raises(ValidationError, match="0 到 2.00"):
        services.score_set(requirement=mat.req, unit=mat.unit_a, user=mat.admin, points=Decimal("2.50"))
    with pytest.raises(PermissionDenied):
        services.score_set(requirement=mat.req, unit=mat.unit_a, user=mat.inspector, passed=True)


# ---------------------------------------------------------------- the workbook

def test_the_requirements_sheet_round_trips_and_imports_new_rows(mat):
    from dataload import imports
    from tests.import_workbooks import workbook_bytes

    exported = workbook_bytes(imports.export_workbook(campaign=mat.campaign, kind="material-requirements"))
    preview = imports.import_preview(campaign=mat.campaign, kind="material-requirements", data=exported)
    assert not preview.problems, preview.as_text()
    assert (preview.creates, preview.updates, preview.unchanged) == (0, 0, 2)
    sheet = load_workbook(io.BytesIO(exported)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0][:4] == ("标准编号", "测评标准", "申报截止日期", "申报材料")
    assert rows[1][0] == "2.1.1" and rows[1][3] == "工作方案|1\n会议记录|1\n活动照片|2" and rows[1][4] == "城东街道、口岸街道"

    # A new row for 1.1.2 (no requirement yet), one changed deadline, one unknown code.
    sheet.append(["1.1.2", "户外广告规范", "2026-12-01", "公益广告台账\n公益广告照片 ≥ 6 张", "口岸街道", "重点推进阶段", ""])
    sheet.cell(row=2, column=3).value = "2026-11-25"
    sheet.append(["9.9.9", "不存在", "2026-12-01", "方案", "", "", ""])
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    preview = imports.import_preview(campaign=mat.campaign, kind="material-requirements", data=buffer.getvalue())
    assert [p.message for p in preview.errors] == ["没有编号为“9.9.9”的测评标准（第三级指标）。"]
    sheet.delete_rows(sheet.max_row)
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    preview = imports.import_apply(campaign=mat.campaign, kind="material-requirements", data=buffer.getvalue())
    assert (preview.creates, preview.updates, preview.unchanged) == (1, 1, 1)
    new = Requirement.objects.get(indicator=mat.leaf_ads)
    assert [(i.name, i.min_files) for i in new.items.all()] == [("公益广告台账", 1), ("公益广告照片", 6)]
    assert list(new.units.all()) == [mat.unit_b] and new.phase == mat.phase_push
    mat.req.refresh_from_db()
    assert mat.req.deadline == dt.date(2026, 11, 25)


def test_a_cover_row_wraps_its_description_under_its_own_column(mat):
    item = mat.items["活动照片"]
    item.description = "现场照片" * 10  # 80 cells: 32 characters (64 cells) fit the 65-cell column
    item.save(update_fields=["description"])
    rows = archive.cover_rows(mat.req)
    assert rows[0] == "   1 工作方案" + " " * 22 + " " + " " * 9 + "1"
    assert rows[2].split("\n") == ["   3 活动照片" + " " * 22 + " " + " " * 9 + "2 " + "现场照片" * 8,
                                    " " * 47 + "现场照片" * 2]  # 4 + 30 + 10 cells and three gaps


def _cover_text(pdf_bytes: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_a_cover_lists_the_standard_its_items_and_the_units_states_in_one_font(mat):
    mat.items["活动照片"].description = "含签到表，按月汇总"
    mat.items["活动照片"].save(update_fields=["description"])
    for item in mat.items.values():  # 城东街道 has every item accepted; 口岸街道 nothing
        _accept(mat, submit(mat, item, files=[pdf()]))
    requirements, extra, _files = archive.collect(mat.campaign)
    covers = dict(archive.cover_pdfs(requirements, extra["units_of"], extra["states"], today=dt.date(2026, 11, 10)))
    reader, text = _cover_text(covers[mat.req])
    assert len(reader.pages) == 1
    assert "2.1.1 志愿服务制度" in text and "材料审核 · 分值 2.00 · 申报截止 2026年11月15日" in text
    assert "建立志愿服务制度，有工作方案、会议记录和活动照片。" in text
    assert re.search(r"序号\s+材料\s+最少文件数\s+说明", text)
    assert re.search(r"1\s+工作方案\s+1\s+2\s+会议记录\s+1\s+3\s+活动照片\s+2\s+含签到表，按月汇总", text)
    # Before the deadline 口岸街道 is 缺报, not 逾期.
    assert "申报单位 2 个：已合格 1 个，待审核 0 个，逾期 0 个，缺报 1 个。" in text.replace("\n", "")
    _reader2, text2 = _cover_text(covers[mat.req2])
    assert "2.1.2 文明创建宣传" in text2 and "（未填写）" in text2 and re.search(r"1\s+宣传统计表\s+1", text2)
    assert "申报单位 1 个：已合格 0 个，待审核 0 个，逾期 0 个，缺报 1 个。" in text2.replace("\n", "")
    # One font, the monospaced CJK face, subset into the file (one font file to load and subset per batch).
    fonts = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts == {"Noto-Sans-Mono-CJK-SC"}


@pytest.mark.parametrize("standards", [1, 3])
def test_a_batch_of_covers_lays_out_one_page_per_cover_and_no_template_comment(mat, monkeypatch, standards):
    """The batch document itself (before the cut at the bookmarks) holds one page per cover: a template
    comment printed into the body would add a first page the cut silently drops."""
    import weasyprint

    _grow(mat, 1, 0)  # a third standard (9.0)
    requirements, extra, _files = archive.collect(mat.campaign)
    requirements = requirements[:standards]
    assert len(requirements) == standards
    documents = []

    class SpyHTML(weasyprint.HTML):
        def render(self, *args, **kwargs):
            document = super().render(*args, **kwargs)
            documents.append(document)
            return document

    monkeypatch.setattr(weasyprint, "HTML", SpyHTML)  # cover_pdfs imports it at call time
    covers = list(archive.cover_pdfs(requirements, extra["units_of"], extra["states"], today=TODAY))
    assert len(covers) == standards and len(documents) == 1
    assert len(documents[0].pages) == standards
    for _req, pdf_bytes in covers:
        reader, text = _cover_text(pdf_bytes)
        assert len(reader.pages) == 1
        assert "{#" not in text and "Kept cheap" not in text
    whole = PdfReader(io.BytesIO(documents[0].write_pdf()))
    text = "\n".join(page.extract_text() for page in whole.pages)
    assert "{#" not in text and "Kept cheap" not in text


def test_no_template_has_a_comment_spread_over_lines():
    """Django's {# #} is one line only: spread over lines it is printed into the page (use {% comment %})."""
    root = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\{#(?!.*#\})", line):
                offenders.append(f"{path.relative_to(root)}:{number}")
    assert offenders == []


def test_covers_rendered_by_the_forked_cover_processes_land_in_the_archive(mat, tmp_path, monkeypatch, settings):
    """The production path: the covers' data read first, then rendered in processes forked from this
    one (they use no database, so they run here for real), each batch in a process forked in turn."""
    settings.MATERIALS_COVERS_IN_CHILD = True
    monkeypatch.setattr(archive, "COVER_BATCH", 1)
    monkeypatch.setattr(archive, "COVER_PROCESSES", 2)
    parts = []
    real_init = archive.CoverProcess.__init__

    def spy(self, requirements, *args, **kwargs):
        parts.append([r.pk for r in requirements])
        real_init(self, requirements, *args, **kwargs)

    monkeypatch.setattr(archive.CoverProcess, "__init__", spy)
    submit(mat, mat.items["工作方案"], files=[pdf("方案.pdf")])
    out = tmp_path / "c.zip"
    archive.build_archive(mat.campaign, str(out))
    # Two standards over COVER_PROCESSES (2) processes: one each, every standard in exactly one of them.
    assert sorted(parts) == [[mat.req.pk], [mat.req2.pk]]
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "2.1.1 志愿服务制度/封面.pdf" in names and "2.1.2 文明创建宣传/封面.pdf" in names
        assert all(i.flag_bits & 0x800 for i in zf.infolist())
        _reader, text = _cover_text(zf.read("2.1.2 文明创建宣传/封面.pdf"))
        assert "2.1.2 文明创建宣传" in text and "宣传统计表" in text
    assert not list(tmp_path.glob("covers-*"))  # the children's folder is removed


def test_a_cover_process_that_fails_stops_the_archive_with_its_error(mat, tmp_path, monkeypatch, settings):
    settings.MATERIALS_COVERS_IN_CHILD = True

    def broken(*args, **kwargs):
        raise RuntimeError("字体文件缺失")

    monkeypatch.setattr(archive, "cover_pdfs", broken)  # the forked processes inherit the patch
    with pytest.raises(RuntimeError, match="封面生成失败：.*字体文件缺失"):
        archive.build_archive(mat.campaign, str(tmp_path / "d.zip"))
    assert not list(tmp_path.glob("covers-*"))


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for whoever adopted it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _wait_for(condition, timeout: float = 20.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_cleanup_kills_the_cover_process_and_its_batch_process(mat, tmp_path, monkeypatch):
    """An archive that fails half way stops the covers: the cover process and the batch process it
    forked (which would otherwise go on rendering into the removed folder)."""
    import signal
    import time

    marker = tmp_path / "batch.pid"

    def blocking(*args, **kwargs):  # runs in the batch process, forked by the cover process
        marker.write_text(str(os.getpid()))
        time.sleep(60)
        yield from ()

    monkeypatch.setattr(archive, "cover_pdfs", blocking)
    requirements, units_of, states = archive.cover_data(campaign=mat.campaign)
    process = archive.CoverProcess(requirements, units_of, states, directory=str(tmp_path), today=TODAY)
    try:
        assert _wait_for(lambda: marker.exists() and marker.read_text().isdigit())
        batch = int(marker.read_text())
        assert _alive(batch) and batch != process.pid
        process.cleanup()
        assert _wait_for(lambda: not _alive(batch), timeout=5), "the batch process outlived the cleanup"
        assert not _alive(process.pid) and not list(tmp_path.glob("covers-*"))
    finally:
        if marker.exists() and marker.read_text().isdigit() and _alive(int(marker.read_text())):
            os.kill(int(marker.read_text()), signal.SIGKILL)


def test_a_forked_child_cannot_use_the_parents_database_connection(mat, tmp_path):
    """A query in a forked child fails there, with the reason on its stderr, instead of talking on the
    parent's session; the parent goes on in its own transaction."""
    count = Requirement.objects.count()
    with open(tmp_path / "stderr", "w+b") as log:
        pid = archive._fork(lambda: Requirement.objects.count(), stderr=log.fileno())
        status = os.waitpid(pid, 0)[1]
        log.seek(0)
        text = log.read().decode()
    assert os.waitstatus_to_exitcode(status) == 1, text
    assert "RuntimeError: 封面进程不得访问数据库" in text
    assert Requirement.objects.count() == count == 2  # the parent's session (and test transaction) still works


def test_a_cover_process_that_queries_the_database_fails_the_archive_with_the_reason(mat, tmp_path, monkeypatch, settings):
    settings.MATERIALS_COVERS_IN_CHILD = True

    def querying(requirements, *args, **kwargs):
        yield requirements[0], str(Requirement.objects.count()).encode()

    monkeypatch.setattr(archive, "cover_pdfs", querying)
    with pytest.raises(RuntimeError, match="封面生成失败：.*封面进程不得访问数据库"):
        archive.build_archive(mat.campaign, str(tmp_path / "q.zip"))
    assert Requirement.objects.filter(pk=mat.req.pk).exists()
