"""Photos shown inside a page come as thumbnails (``?thumb=1``: small, upright, no metadata) that write
no audit row; opening or downloading the original still writes its one ``file.download`` row."""
from __future__ import annotations

import datetime as dt
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


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _colour(data: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB").getpixel((img.width // 2, img.height // 2))


def _photo(colour: tuple[int, int, int], name: str = "宣传栏.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def decoded(monkeypatch):
    """The thumbnails made (calls of ``prepare_photo`` at thumbnail size)."""
    from campaign import uploads

    made: list[int] = []
    real = uploads.prepare_photo
    def counting(data: bytes, **kw):
        if "max_edge" in kw:  # not the uploads' own calls
            made.append(kw["max_edge"])
        return real(data, **kw)

    monkeypatch.setattr(uploads, "prepare_photo", counting)
    return made


def test_a_thumbnail_is_made_once_kept_beside_the_file_and_served_from_there(world, client_for, decoded):
    from django.core.files.storage import default_storage

    from campaign.uploads import THUMB, derived_name

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    entry = ProgressEntry.objects.create(task=task, author=world.official_a, text="宣传栏照片")
    evidence = store_upload(Evidence(entry=entry), phone_jpeg("宣传栏.jpg"), folder="evidence", user=world.official_a,
                            images_only=True)
    kept = derived_name(evidence.file.name, evidence.sha256, THUMB)
    assert kept.startswith(evidence.file.name.rsplit(".", 1)[0] + ".thumb-") and kept.endswith(".jpg")
    assert not default_storage.exists(kept)
    client = client_for(world.official_a)
    url = f"{evidence.get_absolute_url()}?thumb=1"
    before = downloads()
    first = _body(client.get(url))
    assert decoded == [THUMBNAIL_EDGE] and default_storage.exists(kept)
    with default_storage.open(kept, "rb") as handle:
        assert handle.read() == first
    assert [_body(client.get(url)) for _ in range(3)] == [first] * 3
    assert decoded == [THUMBNAIL_EDGE]  # served from the stored copy: nothing decoded again
    assert downloads() == before  # still no audit row for a thumbnail
    assert client.get(evidence.get_absolute_url()).status_code == 200 and downloads() == before + 1  # the original
    assert client_for(world.official_b).get(url).status_code == 404  # the access check comes first


def test_a_replaced_or_deleted_photo_never_shows_its_old_thumbnail(world, client_for, decoded):
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    entry = ProgressEntry.objects.create(task=task, author=world.official_a, text="宣传栏照片")
    evidence = store_upload(Evidence(entry=entry), _photo((220, 20, 20)), folder="evidence", user=world.official_a,
                            images_only=True)
    client = client_for(world.official_a)
    url = f"{evidence.get_absolute_url()}?thumb=1"
    assert _colour(_body(client.get(url)))[0] > 200  # red

    # Replaced through the upload path (a new stored name): the new photo's thumbnail.
    store_upload(evidence, _photo((20, 20, 220)), folder="evidence", user=world.official_a, images_only=True)
    assert _colour(_body(client.get(url)))[2] > 200  # blue

    # Replaced under the same name (restored from elsewhere) with the row's digest updated: green, not blue.
    green = _photo((20, 200, 20)).read()
    default_storage.delete(evidence.file.name)
    assert default_storage.save(evidence.file.name, ContentFile(green)) == evidence.file.name
    Evidence.objects.filter(pk=evidence.pk).update(sha256=hashlib.sha256(green).hexdigest(), size=len(green))
    assert _colour(_body(client.get(url)))[1] > 180
    assert decoded == [THUMBNAIL_EDGE] * 3

    # The file gone: a 404, though its thumbnail is still stored.
    default_storage.delete(evidence.file.name)
    assert client.get(url).status_code == 404


def test_orphan_files_keeps_current_thumbnails_and_lists_those_of_replaced_photos(world, client_for):
    from django.core.files.storage import default_storage

    from campaign.management.commands.orphan_files import orphan_files
    from campaign.uploads import THUMB, derived_name

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    entry = ProgressEntry.objects.create(task=task, author=world.official_a, text="宣传栏照片")
    evidence = store_upload(Evidence(entry=entry), _photo((220, 20, 20)), folder="evidence", user=world.official_a,
                            images_only=True)
    client = client_for(world.official_a)
    client.get(f"{evidence.get_absolute_url()}?thumb=1")
    old_file, old_thumb = evidence.file.name, derived_name(evidence.file.name, evidence.sha256, THUMB)
    assert default_storage.exists(old_thumb) and old_thumb not in orphan_files(older_than=dt.timedelta(0))
    store_upload(evidence, _photo((20, 20, 220)), folder="evidence", user=world.official_a, images_only=True)
    client.get(f"{evidence.get_absolute_url()}?thumb=1")
    new_thumb = derived_name(evidence.file.name, evidence.sha256, THUMB)
    orphans = orphan_files(older_than=dt.timedelta(0))
    assert old_file in orphans and old_thumb in orphans and new_thumb not in orphans and evidence.file.name not in orphans


def test_a_thumbnail_written_on_the_file_system_appears_only_complete(world, monkeypatch):
    """A concurrent first request must never find a half-written thumbnail under its final name: a write
    that fails midway leaves nothing there (nor a temporary file); the next request makes it whole."""
    import os
    from pathlib import Path

    from django.core.files.storage import FileSystemStorage, default_storage

    from campaign.uploads import THUMB, derived_file, derived_name

    assert isinstance(default_storage, FileSystemStorage)
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    entry = ProgressEntry.objects.create(task=task, author=world.official_a, text="宣传栏照片")
    evidence = store_upload(Evidence(entry=entry), phone_jpeg("宣传栏.jpg"), folder="evidence", user=world.official_a,
                            images_only=True)
    kept = derived_name(evidence.file.name, evidence.sha256, THUMB)
    folder = Path(default_storage.path(kept)).parent
    before = set(folder.iterdir())
    seen_during_write = []
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            seen_during_write.append(default_storage.exists(kept))
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    with monkeypatch.context() as patch:
        patch.setattr(os, "fdopen", lambda fd, *args, **kwargs: HalfWriter(real_fdopen(fd, *args, **kwargs)))
        with pytest.raises(OSError, match="No space left"):
            derived_file(evidence, THUMB)
    assert seen_during_write == [False]  # nothing under the final name while the bytes were being written
    assert not default_storage.exists(kept) and set(folder.iterdir()) == before  # no half file, no temporary file
    data = derived_file(evidence, THUMB)
    with default_storage.open(kept, "rb") as handle:
        assert handle.read() == data and Image.open(io.BytesIO(data)).size[0] <= THUMBNAIL_EDGE
    assert set(folder.iterdir()) == before | {Path(default_storage.path(kept))}
    mode = default_storage.file_permissions_mode
    assert mode is None or os.stat(default_storage.path(kept)).st_mode & 0o777 == mode
