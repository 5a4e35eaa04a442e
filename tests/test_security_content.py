"""User text is escaped everywhere (HTML, PDF); uploaded files are served as attachments with nosniff."""
from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaign.uploads import store_upload
from inspections import services as inspection_services
from tasks import services as task_services
from tasks.models import Evidence
from tests import factories as f
from tests.inspections_support import inspection, png

XSS = '<script>alert("创文")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&quot;创文&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def finding(world):
    return inspection_services.finding_create(
        inspector=world.inspector, inspection=inspection(world), indicator=world.leaf_clean, point=world.point_a,
        description=XSS, photos=[png()],
    )


def assert_escaped(body: str) -> None:
    assert XSS not in body
    assert "<script>alert" not in body
    # Lists may shorten the text; the escaped opening tag is always there.
    assert ESCAPED in body or "&lt;script&gt;alert(&quot;创文" in body


def test_a_finding_description_is_escaped_on_its_page_and_in_the_list(world, client_for, finding):
    client = client_for(world.official_a)
    assert_escaped(client.get(finding.get_absolute_url()).content.decode())
    assert_escaped(client.get(reverse("inspections-findings")).content.decode())


def test_task_and_progress_text_are_escaped(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title=XSS, standard=XSS)
    task_services.progress_add(task=task, author=world.official_a, text=XSS)
    body = client_for(world.official_a).get(reverse("tasks-detail", args=[task.pk])).content.decode()
    assert_escaped(body)


def test_user_text_in_a_pdf_is_printed_as_text_not_markup(world, client_for, finding):
    finding.description = "<b>加粗</b> & <i>斜体</i>"
    finding.save(update_fields=["description"])
    order = inspection_services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding], deadline=dt.date(2026, 12, 31))
    response = client_for(world.admin).get(reverse("inspections-order-pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response.content[:4] == b"%PDF"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout.decode()
    assert "<b>加粗</b> & <i>斜体</i>" in text


def test_a_photo_download_is_an_attachment_with_nosniff(world, client_for, finding):
    photo = finding.photos.get()
    response = client_for(world.official_a).get(reverse("inspections-photo-download", args=["finding", photo.pk]) + "?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"


def test_a_photo_shown_inline_is_sandboxed(world, client_for, finding):
    photo = finding.photos.get()
    response = client_for(world.official_a).get(reverse("inspections-photo-download", args=["finding", photo.pk]))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_another_units_photo_is_404(world, client_for, finding):
    photo = finding.photos.get()
    assert client_for(world.official_b).get(reverse("inspections-photo-download", args=["finding", photo.pk])).status_code == 404


def test_evidence_is_downloaded_as_an_attachment_with_nosniff(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="已设置公益广告", files=[png("公益广告.png")])
    evidence = Evidence.objects.get()
    response = client_for(world.official_a).get(evidence.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(world.official_b).get(evidence.get_absolute_url()).status_code == 404


def test_an_html_page_disguised_as_a_photo_is_refused(world):
    fake = SimpleUploadedFile("现场.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    with pytest.raises(ValidationError):
        store_upload(Evidence(), fake, folder="evidence", images_only=True, save=False)
