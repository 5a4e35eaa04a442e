"""Photos shown inside a page come as thumbnails (``?thumb=1``: small, upright, no metadata) that write
no audit row; opening or downloading the original still writes its one ``file.download`` row."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaign.models import AuditLog
from campaign.uploads import THUMBNAIL_EDGE, store_upload
from inspections import services as inspection_services
from tasks.models import Evidence, ProgressEntry
from tests import factories as f
from tests.inspections_support import inspection

pytestmark = pytest.mark.django_db


def phone_jpeg(name: str) -> SimpleUploadedFile:
    """A 1200 × 900 photo with GPS in its EXIF, taken with the phone turned (orientation 6)."""
    img = Image.new("RGB", (1200, 900), (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, 600, 900))  # left half blue: on top once turned upright
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (28.0, 12.0, 30.0)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def downloads() -> int:
    return AuditLog.objects.filter(action="file.download").count()


def img_sources(html: str, prefix: str) -> list[str]:
    return [unescape(src) for src in re.findall(rf'<img[^>]* src="({re.escape(prefix)}[^"]*)"', html)]


def test_a_task_page_with_30_photos_writes_no_audit_row_and_the_original_still_does(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    entry = ProgressEntry.objects.create(task=task, author=world.official_a, text="宣传栏照片")
    for i in range(30):
        store_upload(Evidence(entry=entry), phone_jpeg(f"宣传栏{i}.jpg"), folder="evidence", user=world.official_a,
                     images_only=True)
    client = client_for(world.official_a)
    html = client.get(task.get_absolute_url()).content.decode()
    sources = img_sources(html, "/tasks/evidence/")
    assert len(sources) == 30
    before = downloads()
    for src in sources:
        response = client.get(src)
        assert response.status_code == 200
        with Image.open(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)) as img:
            assert max(img.size) <= THUMBNAIL_EDGE and img.height > img.width  # small and upright
            assert not img.getexif()  # no GPS in a thumbnail
    assert downloads() == before  # 30 thumbnails, no rows

    original = Evidence.objects.first()
    assert client.get(original.get_absolute_url()).status_code == 200  # the link around the thumbnail
    assert client.get(original.get_absolute_url(), {"inline": "1"}).status_code == 200
    assert downloads() == before + 2
    assert AuditLog.objects.filter(action="file.download").last().object_id == str(original.pk)


def test_a_finding_page_shows_thumbnails_unaudited_and_keeps_access_checks(world, client_for):
    finding = inspection_services.finding_create(
        inspector=world.inspector, inspection=inspection(world), indicator=world.leaf_clean, point=world.point_a,
        description="垃圾未清运", photos=[phone_jpeg("现场1.jpg"), phone_jpeg("现场2.jpg")],
    )
    client = client_for(world.official_a)
    sources = img_sources(client.get(finding.get_absolute_url()).content.decode(), "/inspections/")
    assert len(sources) == 2 and all(src.endswith("?thumb=1") for src in sources)
    before = downloads()
    assert all(client.get(src).status_code == 200 for src in sources)
    assert downloads() == before
    photo = finding.photos.first()
    assert client.get(photo.get_absolute_url()).status_code == 200  # opening the photo itself is recorded
    assert downloads() == before + 1
    assert client_for(world.official_b).get(sources[0]).status_code == 404  # another unit: no thumbnail either
