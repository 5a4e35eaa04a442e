"""Uploaded files and reports on S3-compatible object storage (issue 14 item 5).

A real S3 API served by moto in server mode on a free 127.0.0.1 port; the default storage is
django-storages' S3Storage pointed at it, configured the way ``config/settings.py`` does when
``S3_BUCKET`` is set. The files go over HTTP to the bucket: nothing lands under MEDIA_ROOT.
"""
from __future__ import annotations

import datetime as dt
import importlib
import io
import socket
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from campaign.models import AuditLog
from reports import job_services
from reports.models import JobStatus
from tests import factories as f

boto3 = pytest.importorskip("boto3")
pytest.importorskip("storages.backends.s3")
moto_server = pytest.importorskip("moto.server")

BUCKET = "chuangwen-test"
OCT = dt.date(2026, 10, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_s3_left_behind():
    """Each test ends with the file-system default back in place (a leak breaks every later test's files)."""
    yield
    from django.conf import settings as live
    from django.core.files.storage import FileSystemStorage, default_storage

    assert live.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert isinstance(default_storage, FileSystemStorage)


@pytest.fixture
def bucket(s3_endpoint, monkeypatch, settings, tmp_path):
    """An empty bucket, and the default storage pointed at it (the settings' own S3 block).

    Through pytest-django's ``settings`` only, so that a test's own ``settings.X = …`` is undone in the
    same stack (a separate ``override_settings`` here would be restored out of order, leaving S3 on for
    every later test), and with an empty MEDIA_ROOT of its own, so "nothing on the local disk" means this test.
    """
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    name = f"{BUCKET}-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=name)
    default = _storages_from_settings_module(monkeypatch, name, s3_endpoint)["default"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.STORAGES = {**settings.STORAGES, "default": default}
    yield _Bucket(client, name)


def _storages_from_settings_module(monkeypatch, bucket_name: str, endpoint: str) -> dict:
    """STORAGES as config/settings.py builds it from the S3_* environment variables."""
    import config.settings

    env = {
        "S3_BUCKET": bucket_name, "S3_ENDPOINT_URL": endpoint, "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        module = importlib.reload(config.settings)
        storages = module.STORAGES
    finally:
        for key in env:
            monkeypatch.delenv(key)
        importlib.reload(config.settings)
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storages["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"  # static stays
    return storages


class _Bucket:
    def __init__(self, client, name: str) -> None:
        self.client, self.name = client, name

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


def png_bytes(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (37, 23), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_without_s3_settings_files_stay_on_the_file_system():
    import config.settings

    assert config.settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_evidence_uploaded_through_the_site_is_stored_in_the_bucket_and_downloaded_back(world, client_for, bucket, settings):
    from tasks.models import Evidence

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    client = client_for(world.official_a)
    photo = png_bytes("green")
    response = client.post(f"/tasks/{task.pk}/progress/", {
        "text": "新建宣传栏", "value": "1", "client_token": str(uuid.uuid4()),
        "files": [SimpleUploadedFile("宣传栏.png", photo, content_type="image/png")],
    })
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert bucket.keys("evidence/") == [evidence.file.name]
    assert bucket.read(evidence.file.name) == photo
    assert not any(settings.MEDIA_ROOT.rglob("*.png"))  # nothing written to the local disk

    download = client.get(evidence.get_absolute_url(), REMOTE_ADDR="10.9.8.7")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == photo
    assert "%E5%AE%A3%E4%BC%A0%E6%A0%8F.png" in download["Content-Disposition"]  # 宣传栏.png
    log = AuditLog.objects.get(action="file.download")
    assert (log.actor, log.ip_address, log.object_id) == (world.official_a, "10.9.8.7", str(evidence.pk))


def test_a_missing_object_is_a_clear_404_not_a_server_error(world, client_for, bucket):
    from tasks import services as task_services
    from tasks.models import Evidence

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    task_services.progress_add(task=task, author=world.official_a, text="佐证", files=[
        SimpleUploadedFile("1.png", png_bytes(), content_type="image/png"),
    ])
    evidence = Evidence.objects.get()
    bucket.client.delete_object(Bucket=bucket.name, Key=evidence.file.name)
    response = client_for(world.official_a).get(evidence.get_absolute_url())
    assert response.status_code == 404


def test_a_refused_submission_leaves_no_object_in_the_bucket(world, bucket):
    from tasks import services as task_services
    from tasks.models import Evidence, ProgressEntry

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 200
    files = [
        SimpleUploadedFile("宣传栏1.png", png_bytes("red"), content_type="image/png"),
        SimpleUploadedFile("宣传栏2.png", png_bytes("blue"), content_type="image/png"),
        SimpleUploadedFile("台账.pdf", elf),  # refused after the two photos were written to the bucket
    ]
    with pytest.raises(ValidationError):
        task_services.progress_add(task=task, author=world.official_a, text="新建宣传栏", files=files)
    assert not ProgressEntry.objects.exists() and not Evidence.objects.exists()
    assert bucket.keys() == []


def test_a_report_is_written_to_the_bucket_and_downloaded_through_the_audited_view(world, client_for, bucket):
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean,
                     point=world.point_a)
    job, _ = job_services.report_job_request(kind="workbook-xlsx", campaign=world.campaign, month=OCT, user=world.admin)
    job = job_services.report_job_run(job.pk)
    assert job.status == JobStatus.DONE, job.message
    # The final object only: the temporary part was copied to its name and deleted (S3 has no rename).
    assert bucket.keys() == [job.file.name]
    assert job.file.name.startswith(f"reports/{world.campaign.slug}/2026-10/job-{job.pk}-")
    stored = bucket.read(job.file.name)
    assert stored[:2] == b"PK" and len(stored) > 1000

    response = client_for(world.leader).get(reverse("reports-job-download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored
    log = AuditLog.objects.get(action="file.download")
    assert (log.actor, log.object_type, log.object_id) == (world.leader, "reports.ReportJob", str(job.pk))

    # A re-delivered message for the finished job finds the object in the bucket and leaves it alone.
    again = job_services.report_job_run(job.pk)
    assert again.status == JobStatus.DONE and bucket.keys() == [job.file.name]


def test_a_chunked_bulletin_renders_its_parts_through_the_bucket_and_leaves_one_object(
    world, client_for, bucket, settings, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    settings.REPORT_CHUNK_ROWS = 1  # the cover and one part per unit: the parts pass through the bucket
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    for unit, indicator, point in ((world.unit_a, world.leaf_clean, world.point_a),
                                   (world.unit_b, world.leaf_market, world.point_b)):
        f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=unit, indicator=indicator, point=point)
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_services.report_job_request(kind="bulletin-pdf", campaign=world.campaign, month=OCT, user=world.admin)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.chunks.count() == 3
    assert bucket.keys() == [job.file.name]  # part PDFs, pickled payloads and the .part copy all deleted
    merged = bucket.read(job.file.name)
    assert len(PdfReader(io.BytesIO(merged)).pages) == job.outline["pages"]

    unit = job.outline["units"][0]
    response = client_for(world.leader).get(reverse("reports-job-unit-appendix", args=[job.pk, unit["id"]]))
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.content)).pages) == unit["end"] - unit["start"] + 1


def test_a_thumbnail_is_made_once_and_kept_in_the_bucket_beside_its_photo(world, client_for, bucket, settings, monkeypatch):
    from campaign import uploads
    from tasks import services as task_services
    from tasks.models import Evidence

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a)
    big = io.BytesIO()
    Image.new("RGB", (800, 600), "green").save(big, format="PNG")
    task_services.progress_add(task=task, author=world.official_a, text="佐证", files=[
        SimpleUploadedFile("宣传栏.png", big.getvalue(), content_type="image/png"),
    ])
    evidence = Evidence.objects.get()
    made = []
    real = uploads.prepare_photo
    monkeypatch.setattr(uploads, "prepare_photo", lambda data, **kw: made.append(kw) or real(data, **kw))
    client = client_for(world.official_a)
    url = f"{evidence.get_absolute_url()}?thumb=1"
    first = client.get(url)
    assert first.status_code == 200
    thumb = uploads.derived_name(evidence.file.name, evidence.sha256, uploads.THUMB)
    assert bucket.keys("evidence/") == sorted([evidence.file.name, thumb])
    body = b"".join(first.streaming_content) if first.streaming else first.content
    assert bucket.read(thumb) == body
    with Image.open(io.BytesIO(body)) as img:
        assert img.size == (uploads.THUMBNAIL_EDGE, 240)
    again = client.get(url)
    assert b"".join(again.streaming_content) == body and len(made) == 1  # read back from the bucket, not decoded
    assert not any(settings.MEDIA_ROOT.rglob("*.png"))
    assert not AuditLog.objects.filter(action="file.download").exists()
    bucket.client.delete_object(Bucket=bucket.name, Key=evidence.file.name)
    assert client.get(url).status_code == 404  # the photo gone, its thumbnail is not served
