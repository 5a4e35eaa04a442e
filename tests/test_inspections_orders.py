"""督办单: numbering per year without gaps (also under concurrency on PostgreSQL), deadline, PDF."""
from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from campaign.models import AuditLog
from inspections import renderers, services
from inspections.models import OrderCounter, SupervisionOrder
from tests.conftest import build_world
from tests.inspections_support import inspection


def _finding(world, unit_point=None, desc="人民路两侧垃圾未及时清运", points=None):
    return services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=unit_point or world.point_a,
        indicator=world.leaf_clean, description=desc, points=points,
    )


def test_orders_are_numbered_from_one_each_year(world):
    f1, f2 = _finding(world), _finding(world, desc="非机动车乱停放")
    o1 = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f1], deadline=dt.date(2026, 10, 20),
                              issued_on=dt.date(2026, 10, 13))
    o2 = services.order_issue(issuer=world.admin, unit=world.unit_a, findings=[f2], deadline=dt.date(2026, 10, 20),
                              issued_on=dt.date(2026, 10, 13))
    o3 = services.order_issue(issuer=world.admin, unit=world.unit_a, findings=[f2], deadline=dt.date(2027, 1, 20),
                              issued_on=dt.date(2027, 1, 4))
    assert [(o.year, o.number) for o in (o1, o2, o3)] == [(2026, 1), (2026, 2), (2027, 1)]
    assert o2.label == "督办〔2026〕2号"
    assert list(o1.findings.all()) == [f1]
    assert AuditLog.objects.filter(action="order.issue").count() == 3


def test_the_deadline_counts_working_days_from_the_issue_day(world):
    found = services.finding_create(
        inspector=world.inspector, inspection=inspection(world, date=dt.date(2026, 9, 30)), point=world.point_a,
        indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运",
    )
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[found],
                                 deadline_working_days=3, issued_on=dt.date(2026, 9, 30))
    # Oct 1–7 are the National Day holiday; working days 8 (Thu), 9 (Fri), 10 (the makeup Saturday).
    assert order.deadline == dt.date(2026, 10, 10)


def test_a_refused_order_does_not_use_up_a_number(world):
    f_a = _finding(world)
    f_b = _finding(world, unit_point=world.point_b)
    with pytest.raises(ValidationError, match="不属于城东街道"):
        services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f_a, f_b], deadline_working_days=5)
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f_a], deadline_working_days=5)
    assert order.number == 1


def test_an_order_needs_findings_and_a_deadline(world):
    with pytest.raises(ValidationError, match="至少要包含一个问题"):
        services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[], deadline_working_days=5)
    with pytest.raises(ValidationError, match="整改时限"):
        services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[_finding(world)])


def test_officials_and_leaders_cannot_issue_orders(world):
    f = _finding(world)
    for user in (world.official_a, world.leader):
        with pytest.raises(PermissionDenied):
            services.order_issue(issuer=user, unit=world.unit_a, findings=[f], deadline_working_days=5)


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(data)
        tmp.flush()
        return subprocess.run(["pdftotext", "-layout", tmp.name, "-"], capture_output=True, check=True, text=True).stdout


def test_the_order_prints_as_a_chinese_pdf_with_embedded_fonts(world):
    finding = _finding(world)
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding],
                                 deadline=dt.date(2026, 10, 20), requirements="请于时限内整改到位。", issued_on=dt.date(2026, 10, 13))
    data = renderers.order_pdf(order)
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    for expected in ("督办〔2026〕1号", "城东街道", "人民路两侧垃圾未及时清运", "1.1.1", "2026年10月20日", "请于时限内整改到位"):
        assert expected in text
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True).stdout.decode()
    assert "CJK" in fonts or "Noto" in fonts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_consecutive_numbers_without_gaps_or_duplicates():
    if connection.vendor != "postgresql":
        pytest.skip("并发编号测试需要 PostgreSQL（SQLite 不支持 SELECT … FOR UPDATE 行锁）")
    world = build_world()
    # 0.10 each keeps the eight findings under the indicator's 2.00 cap.
    findings = [_finding(world, desc=f"问题{i}", points=Decimal("0.10")) for i in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def issue(chunk):
        try:
            barrier.wait()
            for f in chunk:
                services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f], deadline_working_days=5)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(findings[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    year = SupervisionOrder.objects.values_list("year", flat=True).first()
    numbers = sorted(SupervisionOrder.objects.filter(year=year).values_list("number", flat=True))
    assert numbers == list(range(1, 9))
    assert OrderCounter.objects.get(year=year).last_number == 8


def test_the_units_officials_are_notified_of_a_new_order(world):
    from campaign.models import Notification

    finding = _finding(world)
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding], deadline=dt.date(2026, 12, 10))
    notice = Notification.objects.get(user=world.official_a, key=f"order-{order.pk}")
    assert notice.message == f"{order.label}：1 个问题需于 2026-12-10 前整改到位。" and notice.url == order.get_absolute_url()
    assert not Notification.objects.filter(user=world.official_b).exists()
    assert Notification.objects.filter(user=world.official_a, key=f"finding-{finding.pk}").exists()


# --- lifecycle: 已下发 → 办理中 → 已办结 / 逾期 ------------------------------------------------


def _at(day: dt.date, hour: int = 16) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


def _rectify(world, finding, day):
    from tests.inspections_support import png

    finding.refresh_from_db()
    return services.rectification_submit(
        official=world.official_a, finding=finding, description="已整改", after_photos=[png()], at=_at(day)
    )


def _state(order, day):
    from inspections import lifecycle

    return lifecycle.order_state(order.findings.all(), day)


def test_issuing_an_order_gives_its_findings_the_orders_deadline(world):
    f1, f2 = _finding(world), _finding(world, desc="非机动车乱停放")
    assert f1.rectify_deadline == dt.date(2026, 10, 19)
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f1, f2], deadline=dt.date(2026, 10, 21),
                                 issued_on=dt.date(2026, 10, 13))
    assert set(order.findings.values_list("rectify_deadline", flat=True)) == {dt.date(2026, 10, 21)}


def test_order_states_over_time_and_one_overdue_notice(world):
    from campaign.models import Notification
    from inspections.models import OverduePenalty

    f1, f2 = _finding(world), _finding(world, desc="非机动车乱停放")  # found Mon 10-12
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f1, f2], deadline=dt.date(2026, 10, 20),
                                 issued_on=dt.date(2026, 10, 13))
    assert _state(order, dt.date(2026, 10, 14)) == "issued"  # 已下发
    r1 = _rectify(world, f1, dt.date(2026, 10, 15))
    assert _state(order, dt.date(2026, 10, 15)) == "in_progress"  # 办理中
    assert _state(order, dt.date(2026, 10, 20)) == "in_progress"  # deadline day itself
    assert services.orders_overdue_notify(today=dt.date(2026, 10, 20)) == []
    # 10-21: f2 was never answered → 逾期 (f1 waits for review: not the unit's fault).
    assert _state(order, dt.date(2026, 10, 21)) == "overdue"
    assert services.orders_overdue_notify(today=dt.date(2026, 10, 21)) == [order]
    notified = set(Notification.objects.filter(key=f"order-{order.pk}-overdue").values_list("user__username", flat=True))
    assert notified == {"official_a", "admin_test", "leader_test"}
    assert services.orders_overdue_notify(today=dt.date(2026, 10, 22)) == []  # once
    assert Notification.objects.filter(key=f"order-{order.pk}-overdue").count() == 3
    r2 = _rectify(world, f2, dt.date(2026, 10, 22))
    assert _state(order, dt.date(2026, 10, 22)) == "in_progress"
    services.rectification_review(reviewer=world.inspector, rectification=r1, accept=True, at=_at(dt.date(2026, 10, 23), 9))
    assert _state(order, dt.date(2026, 10, 23)) == "in_progress"  # one finding still awaits review
    services.rectification_review(reviewer=world.inspector, rectification=r2, accept=True, at=_at(dt.date(2026, 10, 23), 10))
    assert _state(order, dt.date(2026, 10, 23)) == "done"  # 已办结
    # The order's deadline is its findings' deadline: f2 missed 10-20, f1 did not.
    services.overdue_penalties_apply(today=dt.date(2026, 10, 24))
    assert list(OverduePenalty.objects.values_list("finding_id", "month")) == [(f2.pk, dt.date(2026, 10, 1))]


def test_a_returned_finding_makes_its_order_overdue_only_after_the_new_deadline(world):
    f1 = _finding(world)
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f1], deadline=dt.date(2026, 10, 20),
                                 issued_on=dt.date(2026, 10, 13))
    r1 = _rectify(world, f1, dt.date(2026, 10, 16))
    # Returned Wed 10-21 → new deadline Mon 10-26 (3 working days).
    services.rectification_review(reviewer=world.inspector, rectification=r1, accept=False, comment="不到位", at=_at(dt.date(2026, 10, 21), 9))
    assert _state(order, dt.date(2026, 10, 26)) == "in_progress"
    assert _state(order, dt.date(2026, 10, 27)) == "overdue"


def test_an_order_deadline_before_a_findings_day_is_refused(world):
    finding = _finding(world)  # found 10-12
    with pytest.raises(ValidationError, match="早于问题"):
        services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding], deadline=dt.date(2026, 10, 11),
                             issued_on=dt.date(2026, 10, 10))
