"""Evidence uploads on a task: refused by content, size and pixels; stored under generated names."""
from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from tasks.models import Evidence, ProgressEntry
from tests import factories as f


def png_bytes(size: tuple[int, int] = (32, 24), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def task(world):
    return f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)


def post_progress(client, task, upload, **extra):
    data = {"text": "新建宣传栏", "value": "1", "client_token": str(uuid.uuid4()), "files": [upload], **extra}
    return client.post(f"/tasks/{task.pk}/progress/", data)


def test_a_renamed_executable_is_refused(world, task, client_for):
    exe = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, content_type="image/jpeg")
    response = post_progress(client_for(world.official_a), task, exe)
    assert response.status_code == 400
    assert "不支持的文件类型" in response.content.decode()
    assert not ProgressEntry.objects.exists()


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_an_oversized_file_is_refused(world, task, client_for):
    big = SimpleUploadedFile("现场.png", png_bytes((400, 400), "white") + b"\x00" * 2048, content_type="image/png")
    response = post_progress(client_for(world.official_a), task, big)
    assert response.status_code == 400
    assert "超过" in response.content.decode()
    assert not Evidence.objects.exists()


@override_settings(UPLOAD_MAX_PIXELS=10_000)
def test_a_decompression_bomb_image_is_refused(world, task, client_for):
    # 400×400 = 160,000 pixels of one colour compress to a few hundred bytes: far over the 10,000 cap.
    bomb = SimpleUploadedFile("bomb.png", png_bytes((400, 400), "white"), content_type="image/png")
    assert bomb.size < 2000
    response = post_progress(client_for(world.official_a), task, bomb)
    assert response.status_code == 400
    assert "像素过大" in response.content.decode()
    assert not ProgressEntry.objects.exists()


def test_a_path_in_the_file_name_is_stored_under_a_generated_name(world, task, client_for):
    upload = SimpleUploadedFile("../../x.jpg", png_bytes(), content_type="image/jpeg")
    response = post_progress(client_for(world.official_a), task, upload)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert ".." not in evidence.file.name
    assert evidence.file.name.startswith("evidence/tasks/")
    assert evidence.file.name != "evidence/tasks/x.jpg"
    assert evidence.original_name == "x.jpg"


def test_pdf_and_excel_evidence_are_accepted(world, task, client_for):
    pdf = SimpleUploadedFile("台账.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    response = post_progress(client_for(world.official_a), task, pdf)
    assert response.status_code == 302
    assert Evidence.objects.get().content_type == "application/pdf"


def png_claiming(width: int, height: int) -> bytes:
    """A valid, tiny PNG whose header claims ``width``×``height`` pixels (a decompression bomb's calling card)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_a_tiny_file_claiming_a_gigapixel_image_is_refused_with_default_settings(world, task, client_for):
    bomb = SimpleUploadedFile("巡查照片.png", png_claiming(60_000, 60_000), content_type="image/png")
    assert bomb.size < 200
    response = post_progress(client_for(world.official_a), task, bomb)
    assert response.status_code == 400
    assert "像素过大" in response.content.decode()
    assert not ProgressEntry.objects.exists()


def test_evidence_is_served_as_an_attachment_under_its_original_name(world, task, client_for):
    client = client_for(world.official_a)
    pdf = SimpleUploadedFile("台账.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    post_progress(client, task, pdf)
    evidence = Evidence.objects.get()
    response = client.get(f"/tasks/evidence/{evidence.pk}/?inline=1")  # inline is for images only
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E5%8F%B0%E8%B4%A6.pdf" in response["Content-Disposition"]  # 台账.pdf, RFC 5987
    assert response["Content-Type"] == "application/pdf"
