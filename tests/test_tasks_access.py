"""Who may see and do what with tasks: other units' objects are 404, readers cannot write."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks import services
from tasks.models import Evidence, ProgressEntry, TaskStatus
from tests import factories as f
from tests.test_tasks_uploads import png_bytes


@pytest.fixture
def task_b(world):
    """A task of 口岸街道 (unit B) with one progress entry and a photo."""
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_b, title="农贸市场划行归市", indicator=world.leaf_market)
    entry, _ = services.progress_add(
        task=task, author=world.official_b, text="完成划线", value=Decimal("1"),
        files=[SimpleUploadedFile("市场.png", png_bytes(), content_type="image/png")],
    )
    return task


def urls_of(task):
    entry = ProgressEntry.objects.get(task=task)
    evidence = Evidence.objects.get(entry=entry)
    return [f"/tasks/{task.pk}/", f"/tasks/progress/{entry.pk}/", f"/tasks/evidence/{evidence.pk}/"]


def test_an_official_gets_404_for_another_units_task_entry_and_file(world, task_b, client_for):
    client = client_for(world.official_a)
    for url in urls_of(task_b):
        assert client.get(url).status_code == 404, url


def test_an_official_of_the_unit_can_read_the_task_entry_and_file(world, task_b, client_for):
    client = client_for(world.official_b)
    task_page, entry_url, file_url = urls_of(task_b)
    assert client.get(task_page).status_code == 200
    assert client.get(entry_url).status_code == 302
    response = client.get(file_url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()


def test_an_official_of_a_parent_unit_sees_a_community_task(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.community_a)
    assert client_for(world.official_a).get(f"/tasks/{task.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["leader", "inspector"])
def test_leaders_and_inspectors_read_every_units_task(world, task_b, client_for, who):
    client = client_for(getattr(world, who))
    for url in urls_of(task_b):
        assert client.get(url).status_code in (200, 302), url


@pytest.mark.parametrize("action", ["progress", "complete", "accept", "return", "deadline"])
def test_a_leader_cannot_write_and_gets_403(world, task_b, client_for, action):
    task_b.status, task_b.completed_on = TaskStatus.COMPLETED, dt.date(2026, 9, 1)
    task_b.save()
    data = {"text": "领导批示", "client_token": str(uuid.uuid4()), "reason": "不合格", "start": "2026-09-30", "working_days": "3"}
    response = client_for(world.leader).post(f"/tasks/{task_b.pk}/{action}/", data)
    assert response.status_code == 403
    task_b.refresh_from_db()
    assert task_b.status == TaskStatus.COMPLETED
    assert ProgressEntry.objects.filter(task=task_b).count() == 1


@pytest.mark.parametrize("action", ["progress", "complete", "accept", "return"])
def test_an_official_of_another_unit_gets_404_when_posting(world, task_b, client_for, action):
    response = client_for(world.official_a).post(f"/tasks/{task_b.pk}/{action}/", {"text": "x", "reason": "x"})
    assert response.status_code == 404


def test_an_official_cannot_accept_their_own_task(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, status=TaskStatus.COMPLETED, completed_on=dt.date(2026, 9, 1))
    assert client_for(world.official_a).post(f"/tasks/{task.pk}/accept/").status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_the_list_shows_an_official_only_their_units_tasks(world, client_for):
    f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="城东宣传栏建设")
    f.TaskFactory(campaign=world.campaign, unit=world.community_a, title="迎春社区志愿服务")
    f.TaskFactory(campaign=world.campaign, unit=world.unit_b, title="口岸农贸市场整治")
    html = client_for(world.official_a).get("/tasks/").content.decode()
    assert "城东宣传栏建设" in html and "迎春社区志愿服务" in html
    assert "口岸农贸市场整治" not in html


def test_a_user_without_a_role_sees_no_tasks(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="城东宣传栏建设")
    client = client_for(world.nobody)
    assert "城东宣传栏建设" not in client.get("/tasks/").content.decode()
    assert client.get(f"/tasks/{task.pk}/").status_code == 404


def test_exports_and_dashboards_only_count_the_officials_units(world, client_for):
    f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="城东宣传栏建设", deadline=dt.date(2026, 9, 1))
    f.TaskFactory(campaign=world.campaign, unit=world.unit_b, title="口岸农贸市场整治", deadline=dt.date(2026, 9, 1))
    client = client_for(world.official_a)
    html = client.get("/tasks/dashboard/").content.decode()
    assert "城东宣传栏建设" in html and "口岸农贸市场整治" not in html
    from openpyxl import load_workbook
    import io

    wb = load_workbook(io.BytesIO(client.get("/tasks/export/").getvalue()))
    titles = [row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert titles == ["城东宣传栏建设"]


def test_anonymous_users_are_sent_to_login(db, client):
    response = client.get("/tasks/")
    assert response.status_code == 302 and "/login/" in response["Location"]
