"""The demo campaign, built once for every test module in this package.

Building it takes tens of seconds, so the modules that read it share one build: it runs inside a
transaction opened when the first test asks for ``demo`` and rolled back after the package's last
test. Each test still runs inside its own savepoint (``db``), so what a test writes is undone.
Only tests that use ``db`` belong here: a transactional test would wait on this open transaction.
Every test here runs with ``db`` (the autouse fixture below), also one that asks only for ``client``:
pytest-django runs tests without ``db`` after all the others, so such a test would come after this
package's teardown and build the demo a second time.
"""
from __future__ import annotations

import pytest
from django.db import transaction

from campaign.models import Campaign
from dataload.demo import load_demo
from dataload.demo_data import CAMPAIGN


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_demo()
            yield Campaign.objects.get(slug=CAMPAIGN["slug"])
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _demo_tests_use_db(db):
    """Each test in its own savepoint, and ordered with the other ``db`` tests (see the module docstring)."""
