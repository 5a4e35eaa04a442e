"""The inspector's pages: dates prefilled in a form a date input accepts, the home page, the 督办单 form, names."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.inspections_support import inspection


def test_the_new_inspection_form_prefills_today_as_a_date_input_reads_it(world, client_for):
    today = timezone.localdate()
    html = client_for(world.inspector).get("/inspections/new/").content.decode()
    # <input type="date"> drops anything but yyyy-MM-dd (zh-hans would render 2026/11/30).
    assert f'type="date" name="date" value="{today:%Y-%m-%d}"' in html
    assert f"{today:%Y/%m/%d}" not in html


def test_every_date_input_of_the_project_renders_iso_dates():
    from campaign.forms import AuditSearchForm
    from inspections.forms import AccountabilityForm
    from tasks.forms import DeadlineForm

    day = dt.date(2026, 11, 30)
    assert 'value="2026-11-30"' in str(AuditSearchForm(initial={"date_from": day})["date_from"])
    assert 'value="2026-11-30"' in str(DeadlineForm(initial={"start": day})["start"])
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in str(AccountabilityForm()["date"])
