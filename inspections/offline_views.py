"""The installable web app (manifest, service worker) and the endpoints of the offline queue.

Thin views: rules in inspections/offline.py and services.py. The sync endpoints answer JSON
so that the queue on the phone can tell "sent" (200) from "refused, keep it with this message"
(422) from "try again later" (anything else).
"""
from __future__ import annotations

import hashlib
import json
from functools import wraps
from typing import Any, Callable

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.middleware.csrf import get_token

from campaign import access
from campaign.models import InspectionPoint

from . import offline, selectors, services
from .forms import FindingForm
from .models import Inspection

SW_STATIC = [
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "vendor/idb-keyval/idb-keyval-6.3.0.umd.js",
    "inspections/photos.js",
    "inspections/offline.js",
    "pwa/offline.html",
    "pwa/icon-192.png",
]


def _json_office(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required + office only, but answering JSON (a queue cannot follow a login redirect)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"ok": False, "errors": ["登录已过期，请重新登录后再发送。"]}, status=401)
        if not access.can(request.user, "inspections.record"):
            # The same answer as for a missing object, as everywhere in the app.
            return JsonResponse({"ok": False, "errors": ["未找到该页面，或您无权操作。"]}, status=404)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js at the root so that its scope covers every page; lists the (hashed) static files."""
    assets = [static(path) for path in SW_STATIC]
    body = render_to_string("pwa/sw.js", {
        "assets_json": json.dumps(assets), "offline_page_json": json.dumps(static("pwa/offline.html")),
        "idb_json": json.dumps(static("vendor/idb-keyval/idb-keyval-6.3.0.umd.js")),
    })
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    body = body.replace("__CW_VERSION__", version)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "创文督查",
            "short_name": "创文督查",
            "description": "创文工作平台督查员版：现场检查、登记问题，无信号时先存本机，联网后自动发送。",
            "lang": "zh-CN",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": "#b02a37",
            "icons": [
                {"src": static("pwa/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
                {"src": static("pwa/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
                {"src": static("pwa/icon-512-maskable.png"), "sizes": "512x512", "type": "image/png",
                 "purpose": "maskable"},
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@never_cache
@_json_office
def status(request: HttpRequest) -> JsonResponse:
    """A fresh CSRF token and who is logged in, asked before the queue is sent."""
    return JsonResponse({"ok": True, "user": request.user.pk, "csrf": get_token(request)})


@require_GET
@_json_office
def data(request: HttpRequest, inspection_pk: int) -> JsonResponse:
    """The campaign data of an inspection's campaign, which the phone keeps for its pages."""
    inspection = get_object_or_404(Inspection.objects.select_related("campaign"), pk=inspection_pk)
    response = JsonResponse(offline.offline_data(inspection.campaign), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-cache"
    return response


def _refused(errors: list[str]) -> JsonResponse:
    return JsonResponse({"ok": False, "errors": errors}, status=422)


def _inspection(pk: int) -> Inspection | None:
    return Inspection.objects.select_related("campaign").filter(pk=pk).first()


@require_POST
@_json_office
def sync_finding(request: HttpRequest, inspection_pk: int) -> JsonResponse:
    """One queued finding, posted with the finding form's fields; its client_token makes it count once."""
    inspection = _inspection(inspection_pk)
    if inspection is None:
        return _refused(["该检查已不存在，请删除此条或改到其他检查下重新登记。"])
    form = FindingForm(request.POST, request.FILES, campaign=inspection.campaign)
    if not form.is_valid():
        errors = []
        for name, errs in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors.extend(f"{label}：{e}" if label else e for e in errs)
        return _refused(errors)
    d = form.cleaned_data
    try:
        finding = services.finding_create(
            inspector=request.user, inspection=inspection, point=d["point"], unit=d["unit"],
            indicator=d["indicator"], description=d["description"], points=d["points"], photos=d["photos"],
            client_token=d["client_token"], request=request,
        )
    except ValidationError as exc:
        return _refused(exc.messages)
    return JsonResponse({
        "ok": True, "id": finding.pk, "url": finding.get_absolute_url(),
        "message": f"问题 #{finding.pk} 已登记：{finding.unit.display_name} 扣 {finding.points} 分。",
    })


@require_POST
@_json_office
def sync_checklist(request: HttpRequest, inspection_pk: int, point_pk: int) -> JsonResponse:
    """One queued checklist round; items already checked are skipped, so a second post changes nothing."""
    inspection = _inspection(inspection_pk)
    point = InspectionPoint.objects.select_related("unit", "point_type").filter(pk=point_pk).first()
    if inspection is None or point is None:
        return _refused(["该检查或点位已不存在，请删除此条。"])
    parsed = offline.checklist_items_from_post(
        selectors.checklist_indicators(inspection.campaign, point), request.POST, request.FILES
    )
    if parsed.errors:
        return _refused(parsed.errors)
    try:
        checks = services.checklist_record(
            inspector=request.user, inspection=inspection, point=point, items=parsed.items, request=request
        )
    except ValidationError as exc:
        return _refused(exc.messages)
    failed = sum(1 for c in checks if c.finding_id)
    return JsonResponse({
        "ok": True, "url": inspection.get_absolute_url(),
        "message": f"{point.name}：已检查 {len(checks)} 项，其中不合格 {failed} 项已登记为问题。",
    })
