"""The tiny shared world every test builds on.

泰和市 has two districts; 城东街道 (unit A, with 迎春社区 below it) is in 城东区,
口岸街道 (unit B) in 城西区; 市城管局 is a department. The indicator tree has
three levels. People: 管理员 (admin), 督查员 (inspector), 领导 (leader),
official_a of 城东街道 and official_b of 口岸街道. Every access test is one line.
"""
from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from campaign.models import Membership, Role, UnitType
from tests import factories as f

PASSWORD = "Chuangwen#2026"


def build_world() -> SimpleNamespace:
    w = SimpleNamespace(password=PASSWORD)
    w.campaign = f.CampaignFactory(slug="taihe-2026", name="泰和市2026年创建全国文明城市", city_name="泰和市")
    w.group_street = f.RankingGroupFactory(name="乡镇街道组", order=1)
    w.group_dept = f.RankingGroupFactory(name="市直部门组", order=2)
    w.city = f.UnitFactory(name="泰和市", unit_type=UnitType.CITY)
    w.office = f.UnitFactory(name="市创建办", unit_type=UnitType.OFFICE, parent=w.city)
    w.district_east = f.UnitFactory(name="城东区", unit_type=UnitType.DISTRICT, parent=w.city)
    w.district_west = f.UnitFactory(name="城西区", unit_type=UnitType.DISTRICT, parent=w.city)
    w.unit_a = f.UnitFactory(name="城东街道", unit_type=UnitType.STREET, parent=w.district_east, ranking_group=w.group_street)
    w.community_a = f.UnitFactory(name="迎春社区", unit_type=UnitType.COMMUNITY, parent=w.unit_a)
    w.unit_b = f.UnitFactory(name="口岸街道", unit_type=UnitType.STREET, parent=w.district_west, ranking_group=w.group_street)
    w.dept = f.UnitFactory(name="市城管局", unit_type=UnitType.DEPARTMENT, parent=w.city, ranking_group=w.group_dept)

    # 测评项目 → 测评内容 → 测评标准
    c = w.campaign
    w.ind_1 = f.IndicatorFactory(campaign=c, code="1", name="公共环境", level=1, score=Decimal("5.00"))
    w.ind_1_1 = f.IndicatorFactory(campaign=c, code="1.1", name="市容市貌", level=2, parent=w.ind_1, score=Decimal("3.00"))
    w.leaf_clean = f.IndicatorFactory(
        campaign=c, code="1.1.1", name="主次干道整洁", level=3, parent=w.ind_1_1, score=Decimal("2.00"),
        standard_text="主次干道路面干净，无积存垃圾、无乱堆乱放。", method="field",
    )
    w.leaf_ads = f.IndicatorFactory(
        campaign=c, code="1.1.2", name="户外广告规范", level=3, parent=w.ind_1_1, score=Decimal("1.00"),
        standard_text="户外公益广告占比不低于20%。", method="field",
    )
    w.ind_1_2 = f.IndicatorFactory(campaign=c, code="1.2", name="农贸市场", level=2, parent=w.ind_1, score=Decimal("2.00"))
    w.leaf_market = f.IndicatorFactory(
        campaign=c, code="1.2.1", name="农贸市场管理规范", level=3, parent=w.ind_1_2, score=Decimal("2.00"),
        standard_text="市场内划行归市，无占道经营。", method="field", applicable_unit_types=[UnitType.STREET, UnitType.TOWNSHIP],
    )
    w.pt_road = f.PointTypeFactory(name="主次干道", order=1)
    w.pt_market = f.PointTypeFactory(name="农贸市场", order=2)
    w.leaf_clean.point_types.add(w.pt_road, w.pt_market)
    w.leaf_ads.point_types.add(w.pt_road)
    w.leaf_market.point_types.add(w.pt_market)
    w.point_a = f.PointFactory(name="人民路（城东段）", point_type=w.pt_road, unit=w.unit_a, address="人民路1-200号")
    w.point_b = f.PointFactory(name="口岸农贸市场", point_type=w.pt_market, unit=w.unit_b, address="口岸街12号")
    w.phase_push = f.PhaseFactory(campaign=c, name="重点推进阶段", start_date=dt.date(2026, 5, 16), end_date=dt.date(2026, 9, 30), order=2)
    w.action = f.SpecialActionFactory(campaign=c, name="环境卫生专项整治行动", lead_unit=w.dept)

    w.admin = f.UserFactory(username="admin_test", first_name="王主任")
    w.inspector = f.UserFactory(username="inspector_test", first_name="李督查")
    w.leader = f.UserFactory(username="leader_test", first_name="赵书记")
    w.official_a = f.UserFactory(username="official_a", first_name="陈联络员")
    w.official_b = f.UserFactory(username="official_b", first_name="周联络员")
    w.nobody = f.UserFactory(username="nobody", first_name="无角色")
    Membership.objects.create(user=w.admin, unit=w.office, role=Role.ADMIN)
    Membership.objects.create(user=w.inspector, unit=w.office, role=Role.INSPECTOR)
    Membership.objects.create(user=w.leader, unit=w.city, role=Role.LEADER)
    Membership.objects.create(user=w.official_a, unit=w.unit_a, role=Role.OFFICIAL)
    Membership.objects.create(user=w.official_b, unit=w.unit_b, role=Role.OFFICIAL)
    return w


# The world is built once for a run of consecutive tests of one module that ask for it (its rows
# inside an outer transaction opened before the tests' own ``db`` savepoints, as Django's
# TestCase.setUpTestData does per class), and each test gets a deep copy of the built objects:
# building it per test cost ~130 queries, 30-300 ms each on the shared machine, for ~900 tests.
# Nothing leaks between the tests: each still runs in its own savepoint (rolled back), gets its own
# Python objects, and the rows are those a fresh build gives (SQLite even reused the same ids).
# Left out, building their own world as before: tests that commit (transactional_db, live_server,
# any django_db marker) and tests not asking for ``world``; the outer transaction is rolled back
# before such a test, and before the next module, so neither ever sees the shared rows.
# Two consequences to keep in mind:
# - The shared world is built once, by an autouse fixture, before the first sharing test's own
#   fixtures run (``settings``, ``monkeypatch``, fixtures it requests): a settings change or patch
#   made there does not apply to the build. A test that needs the world built under different
#   settings must not share it: mark it ``@pytest.mark.django_db`` (any django_db marker opts out),
#   and its ``world`` is built fresh when the fixture is set up, after the fixtures listed before it.
# - Rows have the same ids in every test that shares a build (and SQLite reuses ids after a rollback
#   anyway), so anything keyed by them in the process-wide cache, e.g. (campaign.pk, month), would
#   reach the next test: the default cache is cleared before every test that asks for the world
#   (``_fresh_cache``; the locmem cache of the test settings, cheap to clear).
_TRANSACTIONAL = {"transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _shares_the_world(item) -> bool:
    names = getattr(item, "fixturenames", ())
    return (
        "world" in names
        and not _TRANSACTIONAL.intersection(names)
        and item.get_closest_marker("django_db") is None
    )


class _SharedWorld:
    module = None  # the module whose tests share the open build
    atomic = None
    world: SimpleNamespace | None = None
    next_item = None  # the test after the one running (set by pytest_runtest_teardown below)

    def open(self, module, blocker) -> None:
        from django.db import transaction

        with blocker.unblock():
            atomic = transaction.atomic()
            atomic._from_testcase = True  # as Django's TestCase marks its own: durable blocks may nest in it
            atomic.__enter__()
            try:
                self.world = build_world()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                self.world = None
                raise
        self.module, self.atomic = module, atomic

    def close(self, blocker) -> None:
        from django.db import transaction

        if self.atomic is None:
            return
        atomic, self.atomic, self.world, self.module = self.atomic, None, None, None
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


_shared_world = _SharedWorld()


@pytest.fixture(autouse=True)
def _shared_world_run(request):
    """Opens the shared build before a test's ``db`` savepoint; rolls it back once the run ends."""
    item = request.node
    if not _shares_the_world(item):
        yield
        return
    blocker = request.getfixturevalue("django_db_blocker")
    if _shared_world.atomic is not None and _shared_world.module is not item.module:
        _shared_world.close(blocker)  # not expected: the last run closes after its last test
    if _shared_world.atomic is None:
        request.getfixturevalue("django_db_setup")
        _shared_world.open(item.module, blocker)
    try:
        yield
    finally:
        # Runs after the test's ``db`` teardown (fixtures set up later are torn down first).
        nxt = _shared_world.next_item
        if nxt is None or nxt.module is not item.module or not _shares_the_world(nxt):
            _shared_world.close(blocker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    _shared_world.next_item = nextitem
    try:
        return (yield)
    finally:
        _shared_world.next_item = None


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Clears the default cache before a test that asks for the world (see the comment above ``_shares_the_world``)."""
    if "world" in getattr(request.node, "fixturenames", ()):
        from django.core.cache import cache

        cache.clear()


@pytest.fixture
def world(request, db) -> SimpleNamespace:
    if _shared_world.atomic is not None and _shared_world.module is request.node.module and _shares_the_world(request.node):
        return copy.deepcopy(_shared_world.world)
    return build_world()


@pytest.fixture
def client_for(client):
    """``client_for(user)`` logs the test client in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def limits_on(settings):
    """Rate limiting as in production, with fresh counters (the test settings switch it off)."""
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = True
    cache.clear()
    yield settings
    cache.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is a browser test, whether or not its module says so.

    Before ``-m "not browser"`` deselects (the SQLite pass of .ci/run): a module that forgot its
    ``pytestmark`` started Chromium there too.
    """
    browser = Path(__file__).resolve().parent / "browser"
    for item in items:
        if browser in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
