"""A published month's rectifications and finding texts change only through the recorded workflow
(issue 11, item 5): the admin shows them read-only, and on PostgreSQL the database refuses edits
(migration reports 0007) while the review of a pending round still goes through."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inspections import services as inspection_services
from inspections.models import Finding, FindingStatus, Rectification, RectificationStatus
from reports.services import period_publish
from tests import factories as f

OCT = dt.date(2026, 10, 1)
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the freeze triggers exist only on PostgreSQL")


def at(day: int, month: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, 10, 0))


@pytest.fixture
def published(world):
    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    w.done = f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, points=D("0.30"),
        point=w.point_a, rectify_deadline=dt.date(2026, 10, 19), status=FindingStatus.ACCEPTED, accepted_at=at(18),
    )
    w.accepted = Rectification.objects.create(
        finding=w.done, round=1, description="已组织清运，路面干净", submitted_by=w.official_a, submitted_at=at(16),
        deadline=dt.date(2026, 10, 19), status=RectificationStatus.ACCEPTED, reviewed_by=w.inspector, reviewed_at=at(18),
        review_comment="复查合格",
    )
    w.waiting = f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_market, points=D("0.50"),
        point=w.point_b, rectify_deadline=dt.date(2026, 11, 20), status=FindingStatus.SUBMITTED,
    )
    w.pending = Rectification.objects.create(
        finding=w.waiting, round=1, description="已规范摊位", submitted_by=w.official_b, submitted_at=at(2, 11),
        deadline=dt.date(2026, 11, 20),
    )
    w.period = period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 5))
    return w


def admin_client(client):
    root = f.UserFactory(username="root_rect", is_staff=True, is_superuser=True)
    client.force_login(root)
    return client


def test_the_admin_shows_a_published_months_rectification_read_only(published, client):
    w = published
    c = admin_client(client)
    url = f"/admin/inspections/rectification/{w.accepted.pk}/change/"
    page = c.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    # The edit of the issue: the accepted round turned into a returned one, against its accepted finding.
    data = {
        "finding": w.done.pk, "round": 1, "description": "未整改", "submitted_by": w.official_a.pk,
        "submitted_at_0": "2026-10-16", "submitted_at_1": "10:00:00", "status": RectificationStatus.RETURNED,
        "reviewed_by": w.inspector.pk, "review_comment": "不合格",
        "photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0",
    }
    assert c.post(url, data).status_code == 403
    assert c.post(f"/admin/inspections/rectification/{w.accepted.pk}/delete/", {"post": "yes"}).status_code == 403
    w.accepted.refresh_from_db()
    assert (w.accepted.status, w.accepted.description) == (RectificationStatus.ACCEPTED, "已组织清运，路面干净")


def test_the_admin_refuses_adding_a_round_to_a_published_months_finding(published, client):
    w = published
    c = admin_client(client)
    data = {
        "finding": w.done.pk, "round": 2, "description": "补充整改", "submitted_by": w.official_a.pk,
        "submitted_at_0": "2026-11-06", "submitted_at_1": "10:00:00", "status": RectificationStatus.PENDING,
        "review_comment": "", "photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0",
    }
    page = c.post("/admin/inspections/rectification/add/", data)
    assert page.status_code == 200
    assert "2026年10月的考核结果已发布并冻结" in page.content.decode()
    assert not Rectification.objects.filter(finding=w.done, round=2).exists()


def test_an_open_months_rectification_stays_editable_in_the_admin(world, client):
    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 11, 3), created_by=w.inspector)
    finding = f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean)
    rect = Rectification.objects.create(finding=finding, round=1, description="整改中", submitted_by=w.official_a)
    page = admin_client(client).get(f"/admin/inspections/rectification/{rect.pk}/change/")
    assert 'name="_save"' in page.content.decode()


@pytest.mark.postgres
@postgres_only
def test_the_database_refuses_editing_or_deleting_a_published_months_rectification(published):
    w = published
    with pytest.raises(IntegrityError, match="提交内容"), transaction.atomic():
        Rectification.objects.filter(pk=w.accepted.pk).update(description="未整改")
    with pytest.raises(IntegrityError, match="验收结果不能更改"), transaction.atomic():
        Rectification.objects.filter(pk=w.accepted.pk).update(status=RectificationStatus.RETURNED, review_comment="不合格")
    with pytest.raises(IntegrityError, match="验收结果不能更改"), transaction.atomic():
        Rectification.objects.filter(pk=w.accepted.pk).update(review_comment="改写验收意见")
    with pytest.raises(IntegrityError, match="整改 #"), transaction.atomic():
        Rectification.objects.filter(pk=w.accepted.pk).delete()
    with pytest.raises(IntegrityError, match="提交内容"), transaction.atomic():
        Rectification.objects.filter(pk=w.pending.pk).update(submitted_at=at(1, 11))
    w.accepted.refresh_from_db()
    assert (w.accepted.status, w.accepted.review_comment) == (RectificationStatus.ACCEPTED, "复查合格")


@pytest.mark.postgres
@postgres_only
def test_the_database_refuses_changing_a_published_findings_text(published):
    w = published
    with pytest.raises(IntegrityError, match="已发布并冻结"), transaction.atomic():
        Finding.objects.filter(pk=w.done.pk).update(description="改写后的问题描述")
    with pytest.raises(IntegrityError, match="已发布并冻结"), transaction.atomic():
        Finding.objects.filter(pk=w.done.pk).update(point=w.point_b)
    assert Finding.objects.get(pk=w.done.pk).description == "主干道两侧垃圾未及时清运"


def test_a_pending_round_of_a_published_month_is_still_reviewed_once(published):
    # After publication the review goes on (the database allows exactly that) and agrees with the finding.
    w = published
    inspection_services.rectification_review(reviewer=w.inspector, rectification=w.pending, accept=False, comment="摊位仍占道")
    w.pending.refresh_from_db()
    w.waiting.refresh_from_db()
    assert w.pending.status == RectificationStatus.RETURNED and w.pending.resubmit_deadline is not None
    assert w.waiting.status == FindingStatus.RETURNED and w.waiting.rectify_deadline == w.pending.resubmit_deadline
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="验收结果不能更改"), transaction.atomic():
            Rectification.objects.filter(pk=w.pending.pk).update(status=RectificationStatus.ACCEPTED)
        with pytest.raises(IntegrityError, match="重新整改时限"), transaction.atomic():
            Rectification.objects.filter(pk=w.pending.pk).update(resubmit_deadline=dt.date(2027, 1, 31))


def check_now() -> None:
    """Run the deferred (commit-time) checks now: test transactions never commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
@postgres_only
def test_the_database_keeps_a_published_finding_and_its_latest_round_in_agreement(published):
    w = published
    # Reopened by hand although its round was accepted.
    with pytest.raises(IntegrityError, match="问题 #\\d+ 与其整改记录不一致（最新一轮整改为“accepted”，问题状态为“open”）"), transaction.atomic():
        Finding.objects.filter(pk=w.done.pk).update(status=FindingStatus.OPEN, accepted_at=None)
        check_now()
    # 销号 by hand while its round still waits for review.
    with pytest.raises(IntegrityError, match="与其整改记录不一致"), transaction.atomic():
        Finding.objects.filter(pk=w.waiting.pk).update(status=FindingStatus.ACCEPTED, accepted_at=timezone.now())
        check_now()
    # A pending round slipped under a finding that is already 销号.
    with pytest.raises(IntegrityError, match="与其整改记录不一致"), transaction.atomic():
        Rectification.objects.create(finding=w.done, round=2, description="再次整改", submitted_by=w.official_a)
        check_now()
    # The service writes the round and the finding in one transaction: they agree at commit.
    with transaction.atomic():
        inspection_services.rectification_review(reviewer=w.inspector, rectification=w.pending, accept=True)
        check_now()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert Finding.objects.get(pk=w.waiting.pk).status == FindingStatus.ACCEPTED
    assert Finding.objects.get(pk=w.done.pk).status == FindingStatus.ACCEPTED
