"""The ledger pages: access per unit, writing through the form, sorting, the statistics page."""
from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaign.models import AuditLog
from ledgers.models import Board, BoardPhoto, Population, Volunteer


def _board(world, unit, name="街道宣传栏", **kw):
    return Board.objects.create(campaign=world.campaign, unit=unit, name=name, **kw)


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _post_board(client, world, **extra):
    data = {"unit": world.unit_a.pk, "kind": "board", "name": "迎春社区宣传栏", "village": world.community_a.pk,
            "client_token": str(uuid.uuid4())}
    data.update(extra)
    return client.post("/ledgers/boards/add/", data)


def test_an_official_opening_another_units_row_gets_404(world, client_for):
    row = _board(world, world.unit_b, "口岸宣传栏")
    client = client_for(world.official_a)
    assert client.get(f"/ledgers/boards/{row.pk}/").status_code == 404
    assert client.post(f"/ledgers/boards/{row.pk}/delete/").status_code == 404
    assert Board.objects.filter(pk=row.pk).exists()
    assert client.get("/ledgers/photo/boards/999999/").status_code == 404


def test_a_list_shows_only_the_officials_own_units_rows(world, client_for):
    _board(world, world.unit_a, "城东宣传栏")
    _board(world, world.community_a, "迎春宣传栏")
    _board(world, world.unit_b, "口岸宣传栏")
    page = client_for(world.official_a).get("/ledgers/boards/").content.decode()
    assert "城东宣传栏" in page and "迎春宣传栏" in page and "口岸宣传栏" not in page


def test_leaders_read_every_unit_but_write_nothing(world, client_for):
    row = _board(world, world.unit_b, "口岸宣传栏")
    client = client_for(world.leader)
    assert "口岸宣传栏" in client.get("/ledgers/boards/").content.decode()
    assert client.get(f"/ledgers/boards/{row.pk}/").status_code == 200
    assert client.post(f"/ledgers/boards/{row.pk}/", {"unit": world.unit_b.pk, "kind": "board", "name": "改名"}).status_code == 403
    assert client.get("/ledgers/boards/add/").status_code == 403
    assert Board.objects.get(pk=row.pk).name == "口岸宣传栏"


def test_an_official_adds_a_board_with_a_photo_and_it_is_audited(world, client_for):
    client = client_for(world.official_a)
    response = _post_board(client, world, photo=SimpleUploadedFile("p.jpg", _jpeg(), content_type="image/jpeg"))
    assert response.status_code == 302
    board = Board.objects.get()
    assert (board.unit, board.village, board.created_by) == (world.unit_a, world.community_a, world.official_a)
    photo = BoardPhoto.objects.get(board=board)
    assert photo.content_type == "image/jpeg"
    assert client.get(f"/ledgers/photo/boards/{photo.pk}/?inline=1").status_code == 200
    assert client_for(world.official_b).get(f"/ledgers/photo/boards/{photo.pk}/").status_code == 404
    assert AuditLog.objects.filter(action="ledger.create", object_id=str(board.pk)).exists()


def test_the_same_form_posted_twice_creates_one_row(world, client_for):
    client = client_for(world.official_a)
    token = str(uuid.uuid4())
    assert _post_board(client, world, client_token=token).status_code == 302
    assert _post_board(client, world, client_token=token).status_code == 302
    assert Board.objects.count() == 1


def test_a_refused_photo_writes_nothing_and_keeps_the_input(world, client_for):
    client = client_for(world.official_a)
    response = _post_board(client, world, photo=SimpleUploadedFile("p.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "只能上传照片" in page or "不支持" in page
    assert 'value="迎春社区宣传栏"' in page
    assert not Board.objects.exists() and not BoardPhoto.objects.exists()


def test_an_official_cannot_file_a_row_for_another_unit_or_a_village_outside_it(world, client_for):
    client = client_for(world.official_a)
    response = _post_board(client, world, unit=world.unit_b.pk)
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    assert not Board.objects.exists()
    # The office may pick any unit, but not a village outside it.
    response = _post_board(client_for(world.admin), world, unit=world.unit_b.pk)
    assert "不在“口岸街道”辖区内" in response.content.decode()
    assert not Board.objects.exists()


def test_a_second_volunteer_of_the_same_name_is_refused_with_a_message(world, client_for):
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name="王芳")
    response = client_for(world.official_a).post("/ledgers/volunteers/add/", {
        "unit": world.unit_a.pk, "name": "王芳", "activity_count": 1, "hours": "2", "client_token": str(uuid.uuid4()),
    })
    assert response.status_code == 200
    assert "已有同名志愿者" in response.content.decode()
    assert Volunteer.objects.count() == 1


@pytest.mark.parametrize("sort, expected", [
    ("hours", ["乙", "丙", "甲"]),
    ("-hours", ["甲", "丙", "乙"]),
    ("name; DROP TABLE", ["甲", "乙", "丙"]),  # not whitelisted: the default order (unit, then as entered)
])
def test_lists_sort_on_the_server_by_whitelisted_columns_only(world, client_for, sort, expected):
    for name, hours in (("甲", 9), ("乙", 1), ("丙", 5)):
        Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name=name, hours=hours)
    page = client_for(world.official_a).get("/ledgers/volunteers/", {"sort": sort}).content.decode()
    positions = [page.index(f">{n}<") for n in expected]
    assert positions == sorted(positions)


def test_the_statistics_page_shows_each_figure_with_its_rule(world, client_for):
    Population.objects.create(campaign=world.campaign, unit=world.unit_a, residents=200)
    for i in range(3):
        Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name=f"志愿者{i}", hours=2)
    page = client_for(world.admin).get("/ledgers/stats/").content.decode()
    assert 'data-unit="city"' in page and f'data-unit="{world.unit_a.pk}"' in page
    assert ">1.5%<" in page  # 3 ÷ 200
    assert "注册志愿者 ÷ 常住人口 × 100%" in page
    official_page = client_for(world.official_b).get("/ledgers/stats/").content.decode()
    assert 'data-unit="city"' not in official_page and f'data-unit="{world.unit_a.pk}"' not in official_page
    assert f'data-unit="{world.unit_b.pk}"' in official_page


def test_the_add_form_starts_on_the_officials_own_unit(world, client_for):
    page = client_for(world.official_a).get("/ledgers/volunteers/add/").content.decode()
    assert f'<option value="{world.unit_a.pk}" selected>' in page
    assert f'<option value="{world.unit_b.pk}"' not in page


def test_the_overview_shows_an_official_their_units_figures_and_nobody_the_citys(world, client_for):
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name="甲")
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_b, name="乙")
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_b, name="丙")
    def volunteers(user):
        page = client_for(user).get("/ledgers/").content.decode()
        start = page.find('data-figure="volunteers"')
        return page[start:start + 200] if start >= 0 else ""
    assert ">1人<" in volunteers(world.official_a)
    assert ">2人<" in volunteers(world.official_b)
    assert ">3人<" in volunteers(world.leader)
    assert volunteers(world.nobody) == ""


def test_the_list_exports_what_the_official_sees_in_the_import_templates_columns(world, client_for):
    from openpyxl import load_workbook

    from dataload import imports

    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name="王芳", team="青年队", activity_count=2, hours=4.5)
    Volunteer.objects.create(campaign=world.campaign, unit=world.community_a, name="李强", activity_count=1, hours=2)
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_b, name="口岸的人", activity_count=1, hours=2)
    response = client_for(world.official_a).get("/ledgers/volunteers/export/", {"sort": "-hours"})
    data = b"".join(response.streaming_content)
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows()]
    assert rows[0] == ["填报单位", "姓名", "服务队", "注册日期", "参加活动人次", "服务时长", "备注"]
    assert [r[:2] for r in rows[1:]] == [["城东街道", "王芳"], ["迎春社区", "李强"]]  # sorted by 时长, 口岸 left out
    preview = imports.import_preview(campaign=world.campaign, kind="ledger-volunteers", data=data)
    assert not preview.errors and (preview.creates, preview.updates, preview.unchanged) == (0, 0, 2), preview.as_text()


def test_the_statistics_page_counts_events_within_the_period_asked(world, client_for):
    import datetime as dt

    from ledgers.models import Meeting, MeetingKind

    for day, people in ((dt.date(2026, 5, 10), 30), (dt.date(2026, 10, 1), 50)):
        Meeting.objects.create(campaign=world.campaign, unit=world.unit_a, kind=MeetingKind.TRAINING, held_on=day, topic="培训",
                               attendance=people)
    client = client_for(world.official_a)

    def cell(query, key):
        page = client.get("/ledgers/stats/", query).content.decode()
        start = page.index(f'data-figure="{key}">') + len(f'data-figure="{key}">')
        return page[start:page.index("<", start)]

    assert (cell({}, "trainings"), cell({}, "training_people")) == ("2场", "80人")
    assert (cell({"start": "2026-09-01", "end": "2026-10-31"}, "trainings"), cell({"start": "2026-09-01"}, "training_people")) == ("1场", "50人")
    page = client.get("/ledgers/stats/", {"start": "2026-11-01", "end": "2026-10-01"}).content.decode()
    assert "起始日期不能晚于截止日期。" in page
