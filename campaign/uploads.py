"""Evidence uploads: checked by content (never by name), stored under generated names,
served only through views that have checked access.

One function accepts an upload (:func:`store_upload`), one serves it
(:func:`file_response`, through the audited ``campaign.downloads.send``). Every
app uses these two.

- Images are fully decoded before they are accepted (``verify()`` alone does not
  decode: a truncated JPEG passes it).
- A file is served under the uploader's name with the extension of the type
  detected from its bytes (never the extension the uploader chose).
- A rejected submission leaves no file behind: write the files of one
  submission inside :func:`atomic_with_files`, which deletes them again when the
  transaction rolls back.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
import os
import re
import secrets
import threading
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from PIL import Image, ImageFile

from . import downloads
from .models import StoredFile

PDF_MAGIC = b"%PDF-"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .xls
ZIP_MAGIC = b"PK\x03\x04"

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
# Legacy Office (OLE compound) files are told apart by their main stream's name (UTF-16 in the directory).
OLE_STREAMS = (
    ("WordDocument".encode("utf-16-le"), "doc", "application/msword"),
    ("Workbook".encode("utf-16-le"), "xls", "application/vnd.ms-excel"),
    ("Book".encode("utf-16-le"), "xls", "application/vnd.ms-excel"),
)
# Extension of each type we store, for serving (the stored name carries it too).
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf",
    "application/msword": "doc", "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
# Upper bound on what an Office zip may expand to; protects against zip bombs.
MAX_OFFICE_UNCOMPRESSED = 200 * 1024 * 1024


_STRICT_DECODE = threading.Lock()  # guards the switch of ImageFile.LOAD_TRUNCATED_IMAGES below


@dataclass(frozen=True)
class Detected:
    extension: str
    content_type: str


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _detect_image(data: bytes, *, max_pixels: int) -> Detected | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                width, height = img.size
                if width * height > max_pixels:
                    raise ValidationError(f"图片像素过大（{width}×{height}），请压缩后再上传。")
                img.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("图片像素过大或已损坏，请压缩后再上传。") from None
    except Exception:
        return None
    if fmt not in IMAGE_FORMATS:
        return None
    # verify() checks the structure without decoding: decode every pixel (a truncated JPEG fails here).
    # WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole process when it is imported,
    # which makes load() pad a truncated image silently: switch it off while we decode.
    try:
        with warnings.catch_warnings(), _STRICT_DECODE:
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            saved = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                with Image.open(io.BytesIO(data)) as img:
                    img.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = saved
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("图片像素过大或已损坏，请压缩后再上传。") from None
    except Exception:
        raise ValidationError("图片已损坏或不完整（无法完整解码），请重新拍摄或导出后再上传。") from None
    ext, ctype = IMAGE_FORMATS[fmt]
    return Detected(ext, ctype)


def _detect_office_zip(data: bytes) -> Detected | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "[Content_Types].xml" not in names:
                return None
            if sum(info.file_size for info in zf.infolist()) > MAX_OFFICE_UNCOMPRESSED:
                raise ValidationError("文件解压后体积异常，已拒收。")
    except zipfile.BadZipFile:
        return None
    if any(n.startswith("word/") for n in names):
        return Detected("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    if any(n.startswith("xl/") for n in names):
        return Detected("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return None


def detect(data: bytes, *, images_only: bool = False, max_pixels: int | None = None) -> Detected:
    """What a file really is, from its bytes. Raises ValidationError for anything not allowed."""
    max_pixels = max_pixels or settings.UPLOAD_MAX_PIXELS
    image = _detect_image(data, max_pixels=max_pixels)
    if image:
        return image
    if images_only:
        raise ValidationError("只能上传照片（JPEG、PNG 或 WebP 格式）。")
    if data.startswith(PDF_MAGIC):
        return Detected("pdf", "application/pdf")
    if data.startswith(ZIP_MAGIC):
        office = _detect_office_zip(data)
        if office:
            return office
    if data.startswith(OLE_MAGIC):
        # Only Word and Excel documents; other compound files (.msi installers and the like) are refused.
        for stream, ext, ctype in OLE_STREAMS:
            if stream in data:
                return Detected(ext, ctype)
    raise ValidationError("不支持的文件类型：只能上传照片（JPEG/PNG/WebP）、PDF、Word 或 Excel 文件。")


def read_upload(upload: Any, *, max_bytes: int | None = None) -> bytes:
    """Read an uploaded file, refusing it past the size cap without reading it all."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(f"文件“{_safe_name(upload)}”大小为 {_human(size)}，超过上限 {_human(max_bytes)}。")
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > max_bytes:
            raise ValidationError(f"文件“{_safe_name(upload)}”超过大小上限 {_human(max_bytes)}。")
        chunks.append(chunk)
    if total == 0:
        raise ValidationError(f"文件“{_safe_name(upload)}”是空文件。")
    return b"".join(chunks)


def _safe_name(upload: Any) -> str:
    """The client's file name without any directory part (never used as a path)."""
    raw = str(getattr(upload, "name", "") or "文件")
    return raw.replace("\\", "/").rsplit("/", 1)[-1][:200] or "文件"


def validate_upload(upload: Any, *, images_only: bool = False) -> tuple[bytes, Detected]:
    data = read_upload(upload)
    return data, detect(data, images_only=images_only)


def validate_form_files(files: list[Any], *, max_files: int) -> list[Any]:
    """A form's ``clean_files``: at most ``max_files``, each checked by content now, so the form shows
    every problem at once before anything is saved."""
    if len(files) > max_files:
        raise ValidationError(f"一次最多上传 {max_files} 个文件，您选择了 {len(files)} 个。")
    errors = []
    for upload in files:
        try:
            validate_upload(upload)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return files


_WRITTEN: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("uploads_written", default=None)


@contextlib.contextmanager
def atomic_with_files(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic()`` that also deletes the files stored inside it if it rolls back.

    A submission with 20 good photos and one bad file stores the 20 before the
    bad one is refused; the rows roll back and so do the files. Nested blocks
    hand their files to the enclosing one.
    """
    parent = _WRITTEN.get()
    written: list[str] = []
    token = _WRITTEN.set(written)
    try:
        with transaction.atomic(using=using):
            yield
    except BaseException:
        for name in written:
            with contextlib.suppress(Exception):
                default_storage.delete(name)
        raise
    finally:
        _WRITTEN.reset(token)
    if parent is not None:
        parent.extend(written)


# Photos are kept at most this long on their long edge (a 12-megapixel phone photo is 4000 × 3000):
# 2560 px still shows a shop sign's characters across the street.
PHOTO_MAX_EDGE = 2560
# A JPEG decodes at 1/2, 1/4 or 1/8 of its size almost for free (the decoder skips the detail), while
# decoding it whole and resampling costs more than the smaller re-encode saves. So a large JPEG is
# decoded at the smallest such scale that keeps its long edge at least this long, and resampled only if
# it is still over PHOTO_MAX_EDGE: a 12 MP photo (4000 px) is decoded straight to 2000 px.
PHOTO_MIN_EDGE = PHOTO_MAX_EDGE * 3 // 4
PHOTO_QUALITY = 85  # JPEG / WebP quality of a re-encoded photo: visually the same for a phone photo
# A thumbnail (``?thumb=1``): pages show photos at most 160 px high; twice that stays sharp on a phone.
THUMBNAIL_EDGE = 320


def _jpeg_scale(size: tuple[int, int], max_edge: int) -> int:
    """The largest of 8, 4, 2 (else 1) that keeps the long edge at least 3/4 of ``max_edge``."""
    return next((s for s in (8, 4, 2) if -(-max(size) // s) >= max_edge * 3 // 4), 1)


def prepare_photo(data: bytes, *, strip_metadata: bool = False, max_edge: int = PHOTO_MAX_EDGE) -> bytes:
    """A photo as it is stored: the one place photos are downscaled and have their metadata removed.

    A photo longer than :data:`PHOTO_MAX_EDGE` on its long edge is scaled down to between
    :data:`PHOTO_MIN_EDGE` and it (JPEG and WebP re-encoded at :data:`PHOTO_QUALITY`, PNG losslessly).
    The EXIF orientation is applied to the pixels, so the photo still stands the right way up once the
    tag is gone.

    ``strip_metadata`` (photos from the public: 随手拍, and what the public is shown) also removes all
    metadata: no EXIF (GPS position, phone make and model, time), no XMP or PNG text chunks, no embedded
    thumbnail. Without it (inspectors' and units' photos, which are evidence) the EXIF is kept, less
    its orientation tag, and a photo that is small enough is returned untouched.
    The colour profile is always kept (it says nothing about the person). ``max_edge`` other than
    :data:`PHOTO_MAX_EDGE` makes the thumbnails :func:`file_response` serves.
    """
    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as img:
        fmt = img.format
        too_big = max(img.size) > max_edge
        if not (too_big or strip_metadata):
            return data
        icc = img.info.get("icc_profile")
        if too_big:
            # Scaled before it is turned: the bound is square, and turning the small image is cheaper.
            scale = _jpeg_scale(img.size, max_edge) if fmt == "JPEG" else 1
            if scale > 1:
                img.draft(None, (img.width // scale, img.height // scale))
            img.thumbnail((max_edge, max_edge))  # a no-op when the draft already fits
        upright = ImageOps.exif_transpose(img)  # a copy, its EXIF (if any) without the orientation tag
    if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = PHOTO_QUALITY
    if fmt == "PNG" and "transparency" in upright.info:
        options["transparency"] = upright.info["transparency"]
    if strip_metadata:
        # A fresh image built from the pixels carries no info and no EXIF, so nothing else can be written.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
        if upright.mode in ("P", "PA") and upright.getpalette():
            clean.putpalette(upright.getpalette())
    else:
        clean = upright
        if upright.info.get("exif"):
            options["exif"] = upright.info["exif"]
    out = io.BytesIO()
    clean.save(out, format=fmt, **options)
    return out.getvalue()


def store_upload(
    instance: StoredFile, upload: Any, *, folder: str, user: Any = None, images_only: bool = False, save: bool = True,
    strip_metadata: bool = False, max_bytes: int | None = None,
) -> StoredFile:
    """Validate ``upload`` and attach it to ``instance`` (an unsaved StoredFile subclass).

    Photos (``images_only``: every photo field) are stored through :func:`prepare_photo`, so none is
    longer than ``PHOTO_MAX_EDGE``; ``strip_metadata`` (public uploads) also removes their metadata.
    ``max_bytes`` sets a lower size cap than ``UPLOAD_MAX_BYTES`` (state it on the form).
    """
    data = read_upload(upload, max_bytes=max_bytes)
    detected = detect(data, images_only=images_only)
    if (images_only or strip_metadata) and detected.content_type.startswith("image/"):
        data = prepare_photo(data, strip_metadata=strip_metadata)
    instance.original_name = _safe_name(upload)
    instance.content_type = detected.content_type
    instance.size = len(data)
    instance.sha256 = hashlib.sha256(data).hexdigest()
    instance.uploaded_by = user
    generated = f"{folder}/{uuid.uuid4().hex}.{detected.extension}"
    instance.file.save(generated, ContentFile(data), save=False)
    written = _WRITTEN.get()
    if written is not None:
        written.append(instance.file.name)
    if save:
        instance.save()
    return instance


def served_name(stored: StoredFile) -> str:
    """The name a stored file is served under: the uploader's, with the extension of its detected type."""
    extension = EXTENSIONS.get(stored.content_type) or stored.file.name.rsplit(".", 1)[-1]
    return downloads.download_name(stored.original_name, extension)


# Copies of a stored photo made once and kept next to it in the same storage (:func:`derived_file`):
# the thumbnail every page shows, and the full-size copy without metadata that public pages show of a
# photo stored with its EXIF (a unit's after-photo on the 随手拍 status page).
THUMB = "thumb"
CLEAN = "clean"
DERIVED_VARIANTS = {
    THUMB: {"strip_metadata": True, "max_edge": THUMBNAIL_EDGE},
    CLEAN: {"strip_metadata": True},
}
_DERIVED_NAME = re.compile(r"\.(?:" + "|".join(DERIVED_VARIANTS) + r")-[0-9a-f]{16}\.\w+$")


def derived_name(name: str, sha256: str, variant: str) -> str:
    """Where the ``variant`` copy of the file ``name`` (content ``sha256``) is kept: beside it, e.g.
    ``evidence/3f2a….jpg`` → ``evidence/3f2a….thumb-<16 hex of the content's SHA-256>.jpg``.

    The name holds the content's digest, so a file replaced under its row (every write through
    :func:`store_upload` sets the row's ``sha256``) never finds the old file's copy."""
    if variant not in DERIVED_VARIANTS:
        raise ValueError(variant)
    stem, dot, extension = name.rpartition(".")
    tag = ((sha256 or "").lower() + "0" * 16)[:16]
    return f"{stem}.{variant}-{tag}.{extension}" if dot else f"{name}.{variant}-{tag}"


def is_derived_name(name: str) -> bool:
    """Whether ``name`` is a copy :func:`derived_file` made (not an upload of its own)."""
    return bool(_DERIVED_NAME.search(name))


def derived_file(stored: StoredFile, variant: str) -> IO[bytes] | bytes:
    """The ``variant`` copy of a stored photo (:data:`DERIVED_VARIANTS`), made from the file on its
    first request and stored beside it; later requests read it back, never decode the photo again.

    Raises ``FileNotFoundError`` when the stored file itself is gone, so a copy outlives neither its
    file nor (through its name, :func:`derived_name`) the file's replacement."""
    name = derived_name(stored.file.name, stored.sha256, variant)
    if not default_storage.exists(stored.file.name):
        raise FileNotFoundError(stored.file.name)
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        pass
    with default_storage.open(stored.file.name, "rb") as handle:
        data = prepare_photo(handle.read(), **DERIVED_VARIANTS[variant])
    store_derived(name, data)
    return data


def store_derived(name: str, data: bytes) -> None:
    """Store a derived copy under ``name`` so that it appears only complete: a concurrent first request
    that finds the name (``exists``/``open`` in :func:`derived_file`) never reads a half-written file.

    On the file system (a storage with ``path()``) the copy is written to a temporary file in the same
    folder and renamed into place (``os.replace``, atomic; two requests racing write the same bytes).
    Elsewhere (S3 and the like) a put is atomic already: ``save``, keeping the first of two racing copies."""
    try:
        final = default_storage.path(name)
    except NotImplementedError:
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # another request stored it first; the storage gave this one a free name
            with contextlib.suppress(Exception):
                default_storage.delete(saved)
        return
    folder = os.path.dirname(final)
    os.makedirs(folder, exist_ok=True)
    # A leftover of a crash (never renamed) is an unreferenced file: ``manage.py orphan_files`` lists it.
    temp = os.path.join(folder, f".{os.path.basename(final)}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        mode = getattr(default_storage, "file_permissions_mode", None)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def file_response(stored: StoredFile, *, request: HttpRequest | None = None, inline: bool = False) -> HttpResponse:
    """Stream a stored file (after the caller checked access): audited, nosniff, named by its detected type.

    ``?thumb=1`` on the request of an image gives its thumbnail instead: at most :data:`THUMBNAIL_EDGE`
    long, upright, without metadata, and not audited (it is what a page shows in place, not the file; the
    page links the original, whose opening is recorded). Pages put ``?thumb=1`` on every ``<img>`` of a
    stored photo. The thumbnail is made once and kept beside the file (:func:`derived_file`)."""
    if request is not None and request.GET.get("thumb") == "1" and stored.is_image:
        try:
            thumb = derived_file(stored, THUMB)
        except FileNotFoundError:
            raise Http404("文件已不存在（可能已被清理），请联系创建办。") from None
        return downloads.send(request, thumb, filename=served_name(stored), content_type=stored.content_type,
                              inline=True, obj=stored, audited=False)
    try:
        handle: IO[bytes] = default_storage.open(stored.file.name, "rb")
    except FileNotFoundError:
        raise Http404("文件已不存在（可能已被清理），请联系创建办。") from None
    return downloads.send(
        request, handle, filename=served_name(stored), content_type=stored.content_type, inline=inline, obj=stored,
        what="查看图片" if inline else "下载文件", size=stored.size,
    )
