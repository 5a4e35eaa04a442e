"""The ``world`` fixture shares one build among a module's consecutive tests (tests/conftest.py).

Whatever a test does to it (its Python objects, its rows, new rows) never reaches the next test, and
a test that does not ask for the world never sees its rows. The tests below run in file order; each
would fail if the one before had leaked.
"""
from __future__ import annotations

import pytest

from campaign.models import Membership, Unit
from tests import factories as f


def _spoil(world) -> None:
    world.unit_a.name = "改名街道"  # the Python object only
    world.district_east.name = "改名区"  # also reached as world.unit_a.parent
    Unit.objects.filter(pk=world.unit_b.pk).update(name="改名口岸")  # a row
    f.UnitFactory(name="临时单位")  # a new row
    Membership.objects.filter(user=world.official_a).delete()


def _assert_fresh(world) -> None:
    assert world.unit_a.name == "城东街道"
    assert world.unit_a.parent is world.district_east  # the copy keeps the objects' cross references
    assert world.district_east.name == "城东区"
    assert Unit.objects.get(pk=world.unit_b.pk).name == "口岸街道"
    assert not Unit.objects.filter(name="临时单位").exists()
    assert Membership.objects.filter(user=world.official_a, unit=world.unit_a).exists()


@pytest.mark.parametrize("run", [1, 2])
def test_a_test_starts_from_the_world_as_built(world, run):
    _assert_fresh(world)
    _spoil(world)
    assert world.unit_a.parent.name == "改名区"


def test_a_test_without_the_world_sees_none_of_its_rows(db):
    assert not Unit.objects.exists()
    f.UnitFactory(name="临时单位")


@pytest.mark.parametrize("run", [1, 2])
def test_after_a_test_without_it_the_world_is_as_built_again(world, run):
    _assert_fresh(world)
    _spoil(world)


@pytest.mark.parametrize("run", [1, 2])
def test_the_cache_starts_empty_though_the_ids_are_the_same(world, run):
    """The shared build gives every test the same ids: a cache entry keyed by them must not reach the next test."""
    from django.core.cache import cache

    key = f"score:{world.campaign.pk}:2026-11"
    assert cache.get(key) is None
    cache.set(key, run, 600)
