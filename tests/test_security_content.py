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


# ---------------------------------------------------------------- files served by what they are (issue #11 item 6)


def _xlsx_bytes() -> bytes:
    import io

    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def _evidence_download(world, client_for, upload):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="佐证", files=[upload])
    return client_for(world.official_a).get(Evidence.objects.get().get_absolute_url())


def test_a_pdf_named_html_is_served_as_pdf(world, client_for):
    response = _evidence_download(world, client_for, SimpleUploadedFile("polyglot.html", b"%PDF-1.4\n<html><script>alert(1)</script>"))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="polyglot.pdf"' in response["Content-Disposition"]
    assert ".html" not in response["Content-Disposition"]


def test_an_office_zip_named_jar_is_served_as_the_workbook_it_is(world, client_for):
    response = _evidence_download(world, client_for, SimpleUploadedFile("tool.jar", _xlsx_bytes()))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="tool.xlsx"' in response["Content-Disposition"]


def test_an_ole_file_that_is_no_office_document_is_refused(world):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "MsiDatabase".encode("utf-16-le") + b"\0" * 100
    with pytest.raises(ValidationError, match="不支持的文件类型"):
        store_upload(Evidence(), SimpleUploadedFile("setup.msi", ole), folder="evidence", save=False)


def test_a_legacy_word_file_named_msi_is_served_as_doc(world, client_for):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "WordDocument".encode("utf-16-le") + b"\0" * 100
    response = _evidence_download(world, client_for, SimpleUploadedFile("setup.msi", ole))
    assert response["Content-Type"] == "application/msword"
    assert 'filename="setup.doc"' in response["Content-Disposition"]


def test_a_truncated_jpeg_is_refused_because_it_does_not_decode(world):
    import io

    from PIL import Image

    from campaign import uploads

    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 80).convert("RGB").save(buffer, "JPEG", quality=90)
    whole = buffer.getvalue()
    cut = whole[: len(whole) * 2 // 3]
    import weasyprint  # noqa: F401  (imported by the PDF renderers; it makes Pillow pad truncated images)

    # verify() alone accepts it: the structure up to the scan data is intact.
    with Image.open(io.BytesIO(cut)) as img:
        img.verify()
    assert uploads.detect(whole).extension == "jpg"
    with pytest.raises(ValidationError, match="无法完整解码"):
        uploads.detect(cut, images_only=True)


# ---------------------------------------------------------------- no orphan files


def _files_under(root, folder: str) -> list:
    path = root / folder
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 200


def test_a_rectification_with_20_good_photos_and_one_elf_leaves_no_rows_and_no_files(world, settings, finding):
    from inspections.models import Rectification, RectificationPhoto

    photos = [png(f"整改{i}.png") for i in range(20)] + [SimpleUploadedFile("整改21.jpg", ELF, content_type="image/jpeg")]
    with pytest.raises(ValidationError):
        inspection_services.rectification_submit(
            official=world.official_a, finding=finding, description="已清理", after_photos=photos,
        )
    assert not Rectification.objects.exists() and not RectificationPhoto.objects.exists()
    assert _files_under(settings.MEDIA_ROOT, "rectifications") == []


def test_progress_with_a_bad_last_file_leaves_no_entry_and_no_files(world, settings):
    from tasks.models import ProgressEntry

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    files = [png("宣传栏1.png"), png("宣传栏2.png"), SimpleUploadedFile("台账.pdf", ELF)]
    with pytest.raises(ValidationError):
        task_services.progress_add(task=task, author=world.official_a, text="新建宣传栏", files=files)
    assert not ProgressEntry.objects.exists() and not Evidence.objects.exists()
    assert _files_under(settings.MEDIA_ROOT, "evidence") == []


def test_files_of_a_successful_submission_stay(world, settings):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="新建宣传栏", files=[png("1.png"), png("2.png")])
    assert len(_files_under(settings.MEDIA_ROOT, "evidence")) == 2


# ---------------------------------------------------------------- every download audited


def test_every_file_and_export_served_is_audited_with_who_what_and_where(world, client_for, finding):
    from campaign.models import AuditLog

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="佐证", files=[png("公益广告.png")])
    evidence = Evidence.objects.get()
    order = inspection_services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding], deadline=dt.date(2026, 12, 31))
    photo = finding.photos.get()
    urls = {
        "evidence": evidence.get_absolute_url(),
        "photo": reverse("inspections-photo-download", args=["finding", photo.pk]),
        "order_pdf": reverse("inspections-order-pdf", args=[order.pk]),
        "findings_xlsx": reverse("inspections-findings-xlsx"),
        "findings_pdf": reverse("inspections-findings-pdf"),
        "tasks_xlsx": reverse("tasks-list-export"),
        "dashboard_xlsx": reverse("tasks-dashboard-export", args=["unit"]),
        "template": reverse("tasks-import-template", args=["tasks"]),
        "import_export": reverse("tasks-import-export", args=["tasks"]),
        "audit_xlsx": reverse("campaign-audit-export"),
    }
    client = client_for(world.admin)
    for name, url in urls.items():
        before = AuditLog.objects.filter(action="file.download").count()
        response = client.get(url, REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200, name
        rows = AuditLog.objects.filter(action="file.download").order_by("pk")
        assert rows.count() == before + 1, name
        row = rows.last()
        assert (row.actor, row.ip_address) == (world.admin, "10.1.2.3"), name
        assert row.after["filename"] and row.after["filename"] in row.message, name
        assert row.after["path"] == url.split("?")[0], name
    evidence_row = AuditLog.objects.filter(action="file.download", object_type="tasks.Evidence").get()
    assert evidence_row.object_id == str(evidence.pk) and evidence_row.after["filename"] == "公益广告.png"


def test_orphan_files_lists_and_deletes_only_unreferenced_uploads(world, settings):
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="佐证", files=[png("留.png")])
    kept = Evidence.objects.get().file.name
    stray = default_storage.save("rectifications/left-behind.png", ContentFile(b"x" * 2048))
    default_storage.save("reports/taihe/2026-10/job-1-bulletin-pdf.pdf", ContentFile(b"%PDF-"))
    default_storage.save("imports/pending.xlsx", ContentFile(b"PK"))
    out = io.StringIO()
    call_command("orphan_files", "--hours", "0", stdout=out)
    assert out.getvalue().splitlines()[0] == f"{stray}\t2048"
    assert "找到孤立文件 1 个" in out.getvalue()
    assert default_storage.exists(stray)
    call_command("orphan_files", "--hours", "0", "--delete", stdout=io.StringIO())
    assert not default_storage.exists(stray) and default_storage.exists(kept)
    assert default_storage.exists("imports/pending.xlsx")


def test_a_file_missing_from_storage_is_a_404_not_a_500(world, client_for):
    from django.core.files.storage import default_storage

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="佐证", files=[png("丢失.png")])
    evidence = Evidence.objects.get()
    default_storage.delete(evidence.file.name)
    response = client_for(world.official_a).get(evidence.get_absolute_url())
    assert response.status_code == 404
