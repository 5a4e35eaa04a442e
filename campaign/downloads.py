"""Every file and export the site serves goes out through :func:`send`.

One helper, so every download is treated alike:

- **audited**: one ``file.download`` row in the audit log — who (the user), what
  (the object, the file name, its type and size), when, and from where (the
  client address);
- **served safely**: ``Content-Disposition`` with the RFC 5987 name (Chinese
  names survive), ``X-Content-Type-Options: nosniff``, private caching, and a
  sandboxing CSP for the images shown inline;
- **named by what the file is**: :func:`download_name` puts the extension of
  the detected type on the uploader's name (a PDF called ``polyglot.html`` is
  served as ``polyglot.pdf``).

Callers have checked access already (``campaign.access``). ``content`` is bytes
or an open binary file (streamed with ``FileResponse``).
"""
from __future__ import annotations

import os
from typing import IO

from django.db.models import Model
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from . import audit

INLINE_CSP = "default-src 'none'; img-src 'self'; sandbox"


def download_name(name: str, extension: str) -> str:
    """``name`` with ``extension`` (no dot) as its only trusted extension: 台账.html + pdf → 台账.pdf."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "文件"
    stem, ext = os.path.splitext(base)
    if not extension:
        return base
    if ext.lower() == f".{extension.lower()}":
        return base
    return f"{stem or base}.{extension}"


def current_request() -> HttpRequest | None:
    """The request being served (simple_history's middleware keeps it), for callers that did not pass it."""
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


def send(
    request: HttpRequest | None,
    content: bytes | IO[bytes],
    *,
    filename: str,
    content_type: str,
    inline: bool = False,
    obj: Model | None = None,
    what: str = "",
    size: int | None = None,
    details: dict | None = None,
    audited: bool = True,
) -> HttpResponse:
    """The response for one download, recorded in the audit log (``file.download``): the one row per download.

    ``details`` (e.g. the filters of an export) are kept in the row's ``after`` next to the file's facts.
    ``audited=False`` is for two things only: a thumbnail shown inside a page (``uploads.file_response``
    with ``?thumb=1``), a small copy without metadata rather than the file, so a page of 30 photos does not
    write 30 rows (opening or downloading the original is still recorded); and the 随手拍 status page's
    photos seen anonymously by the reporter (``snaps.views.public_photo``, docs/security.md §10).
    """
    request = request or current_request()
    if isinstance(content, (bytes, bytearray)):
        response: HttpResponse = HttpResponse(bytes(content), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(not inline, filename)
        size = len(content)
    else:
        response = FileResponse(content, as_attachment=not inline, filename=filename, content_type=content_type)
        if size is None and response.has_header("Content-Length"):
            size = int(response["Content-Length"])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0"
    if inline:
        response["Content-Security-Policy"] = INLINE_CSP
    if not audited:
        return response
    audit.record(
        "file.download",
        actor=getattr(request, "user", None),
        obj=obj,
        request=request,
        after={
            "filename": filename, "content_type": content_type, "size": size, "inline": inline,
            "path": getattr(request, "path", ""), **(details or {}),
        },
        message=f"{what or '下载文件'}：{filename}"[:300],
    )
    return response
