"""The demo's 材料审核: every 材料审核 standard has a requirement, and the matrix shows a city halfway to 迎检."""
from __future__ import annotations

from campaign.models import Indicator
from dataload.demo import DEMO_TODAY
from materials import selectors
from materials.models import Requirement, ReviewStatus, Submission


def test_every_material_standard_has_a_requirement(demo, db):
    standards = set(Indicator.objects.filter(campaign=demo, level=3, method="material").values_list("code", flat=True))
    assert set(Requirement.objects.filter(campaign=demo).values_list("indicator__code", flat=True)) == standards


def test_the_matrix_shows_a_city_halfway_to_the_inspection(demo, db):
    m = selectors.completeness(demo, today=DEMO_TODAY)
    t = m.total
    assert t.cells >= 40
    assert t.accepted and t.submitted and t.missing and t.overdue  # every state is present
    assert 15 <= t.reported_pct <= 85
    statuses = set(Submission.objects.filter(item__requirement__campaign=demo).values_list("status", flat=True))
    assert statuses == {ReviewStatus.ACCEPTED, ReviewStatus.PENDING, ReviewStatus.SUPPLEMENT}
