"""Excel import and export pages (admins only; everyone else gets a 403).

Upload → preview → apply. The uploaded bytes are kept under
``MEDIA_ROOT/imports/<random token>.xlsx``; the token is remembered in the
uploader's session, and apply accepts only a token found there, so no path
ever comes from the client. Apply reads the file again and runs the whole
import in one transaction (``dataload.imports.import_apply``).
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from campaign import access
from campaign.excel import stream_table, xlsx_response
from campaign.selectors import current_campaign

from . import imports
from .forms import ImportForm

SESSION_KEY = "cw_pending_imports"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
PREVIEW_LIMIT = 1000


def _admin_campaign(request: HttpRequest) -> Any:
    if not access.can(request.user, "campaign.manage"):
        raise PermissionDenied("只有创建办管理员可以导入或导出数据。")
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


def _kind_or_404(kind: str) -> str:
    if kind not in imports.KINDS:
        raise Http404("没有这种导入类型。")
    return kind


def _stored_path(token: str) -> str:
    return f"imports/{token}.xlsx"


def _forget_pending(request: HttpRequest) -> None:
    """Drop this session's earlier uploads: only the latest preview can be applied."""
    for token in request.session.get(SESSION_KEY, {}):
        if TOKEN.match(token):
            default_storage.delete(_stored_path(token))
    request.session[SESSION_KEY] = {}


def _sweep_stale(max_age: dt.timedelta = dt.timedelta(days=1)) -> None:
    """Delete uploads nobody applied (sessions that ended without apply leave them behind)."""
    try:
        _, files = default_storage.listdir("imports")
    except FileNotFoundError:
        return
    cutoff = timezone.now() - max_age
    for name in files:
        path = f"imports/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError):
            continue


def _stash(request: HttpRequest, *, data: bytes, campaign: Any, kind: str, sheet: str, filename: str) -> str:
    _forget_pending(request)
    _sweep_stale()
    token = uuid.uuid4().hex
    default_storage.save(_stored_path(token), ContentFile(data))
    request.session[SESSION_KEY] = {
        token: {"campaign": campaign.pk, "kind": kind, "sheet": sheet, "filename": filename[:200]}
    }
    return token


def _context(campaign: Any, form: ImportForm, preview: Any = None, token: str = "", filename: str = "") -> dict[str, Any]:
    shown = [c for c in preview.changes if c.action != "unchanged"][:PREVIEW_LIMIT] if preview else []
    return {
        "campaign": campaign,
        "form": form,
        "kinds": imports.KINDS,
        "preview": preview,
        "shown_changes": shown,
        "hidden_changes": (preview.creates + preview.updates - len(shown)) if preview else 0,
        "shown_problems": preview.problems[:PREVIEW_LIMIT] if preview else [],
        "hidden_problems": max(0, len(preview.problems) - PREVIEW_LIMIT) if preview else 0,
        "token": token,
        "filename": filename,
    }


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a workbook and see what it would change; apply it from the preview."""
    campaign = _admin_campaign(request)
    if request.method == "POST" and request.POST.get("action") == "apply":
        return _apply(request, campaign)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind, sheet = form.cleaned_data["kind"], form.cleaned_data["sheet"].strip()
        filename = form.cleaned_data["file"].name
        preview = imports.import_preview(campaign=campaign, kind=kind, data=form.data_bytes, sheet=sheet or None)
        token = ""
        if not preview.has_errors:
            token = _stash(request, data=form.data_bytes, campaign=campaign, kind=kind, sheet=sheet, filename=filename)
        return render(request, "dataload/import_page.html", _context(campaign, form, preview, token, filename))
    return render(request, "dataload/import_page.html", _context(campaign, form))


def _apply(request: HttpRequest, campaign: Any) -> HttpResponse:
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(token) if TOKEN.match(token) else None
    if entry is None or entry.get("campaign") != campaign.pk or not default_storage.exists(_stored_path(token)):
        messages.error(request, "待导入的文件已失效（可能已导入或已重新上传），请重新上传。")
        return redirect("tasks-import")
    with default_storage.open(_stored_path(token), "rb") as handle:
        data = handle.read()
    form = ImportForm(initial={"kind": entry["kind"], "sheet": entry["sheet"]})
    try:
        preview = imports.import_apply(
            campaign=campaign, kind=entry["kind"], data=data, sheet=entry["sheet"] or None,
            actor=request.user, request=request, filename=entry["filename"],
        )
    except imports.ImportRejected as exc:
        _forget_pending(request)
        messages.error(request, "导入未执行：数据已发生变化或文件有错误，未写入任何数据。请修改后重新上传。")
        return render(request, "dataload/import_page.html", _context(campaign, form, exc.preview, "", entry["filename"]))
    _forget_pending(request)
    messages.success(request, f"导入完成：{preview.summary}")
    return render(request, "dataload/import_result.html", _context(campaign, form, preview, "", entry["filename"]))


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The empty template of one kind, with an example row and a 说明 sheet."""
    _admin_campaign(request)
    kind = _kind_or_404(kind)
    return xlsx_response(
        imports.template_workbook(kind), f"{imports.KINDS[kind].label}导入模板.xlsx", request=request, what="下载导入模板"
    )


@login_required
@require_GET
def import_export(request: HttpRequest, kind: str) -> HttpResponse:
    """One kind as it is now, in the template's columns (imports back unchanged)."""
    campaign = _admin_campaign(request)
    kind = _kind_or_404(kind)
    import_kind = imports.KINDS[kind]
    # Streamed like every table export (write-only workbook in a temporary file); same rows as export_workbook.
    response = stream_table(
        request, title=import_kind.sheet_title, headers=import_kind.spec.headers, rows=import_kind.export_rows(campaign),
        filename=imports.export_filename(campaign, kind), what=f"导出{import_kind.label}", obj=campaign,
    )
    return response  # audited once, as file.download naming the campaign, by campaign.downloads.send
