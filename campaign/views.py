from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.shortcuts import redirect

from django.contrib.auth import views as auth_views
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse_lazy

from django.contrib import messages
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import access, audit
from .excel import STREAM_CHUNK_ROWS, stream_table
from .forms import AuditSearchForm
from .models import AuditLog, Notification
from .periods import file_name
from .selectors import SESSION_KEY as CAMPAIGN_SESSION_KEY
from .selectors import campaigns_for


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "campaign/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("campaign-notifications")


# ------------------------------------------------------------------ campaign switcher


@login_required
@require_POST
def campaign_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the user's campaigns the current one (kept in the session); 403 for any other campaign."""
    chosen = campaigns_for(request.user).filter(slug=request.POST.get("campaign", "")).first()
    if chosen is None:
        return render(request, "403.html", {"message": "您不参与该创建活动，不能切换到它。如需参与，请联系创建办系统管理员。"},
                      status=403)
    request.session[CAMPAIGN_SESSION_KEY] = chosen.pk
    messages.success(request, f"已切换到“{chosen.name}”。")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("home")
    return redirect(target)


# ------------------------------------------------------------------ audit log (admins and leaders)

AUDIT_HEADERS = ["时间", "操作人账号", "操作人", "操作", "操作名称", "对象类型", "对象编号", "对象", "相关单位", "来源地址", "变更前", "变更后", "说明"]
AUDIT_EXPORT_MAX_ROWS = 100_000


def _json_text(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def _audit_rows_for(request: HttpRequest) -> tuple[AuditSearchForm, QuerySet[AuditLog]]:
    """The search form and the matching rows; 404 for anyone without ``audit.view``."""
    if not access.can(request.user, "audit.view"):
        # Like other pages one may not see: do not confirm the page exists.
        raise Http404("未找到该页面。")
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, AuditLog.objects.none()
    return form, audit.search(**form.filters())


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    form, rows = _audit_rows_for(request)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    words = audit.describe(page, request.user)
    for row in page:
        row.words = words[row.pk]
        row.shown = audit.shown(row)  # a 随手拍's query code never shown (docs/security.md §6)
    return render(request, "campaign/audit_list.html", {"form": form, "page": page})


def _export_row(row: AuditLog) -> list[object]:
    shown = audit.shown(row)  # a 随手拍's query code never exported (docs/security.md §6)
    return [
        row.at, row.actor_name, row.actor.get_full_name() if row.actor else "", row.action, audit.action_label(row.action, row.after),
        audit.object_type_label(row.object_type),
        row.object_id, shown.object_repr, str(row.unit) if row.unit else "", row.ip_address or "",
        _json_text(shown.before), _json_text(shown.after), shown.message,
    ]


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    form, rows = _audit_rows_for(request)
    data = (_export_row(row) for row in rows[:AUDIT_EXPORT_MAX_ROWS].iterator(chunk_size=STREAM_CHUNK_ROWS))
    response = stream_table(
        request, title="审计日志", headers=AUDIT_HEADERS, rows=data, filename=file_name("审计日志", "xlsx", day=timezone.localdate()),
        what="导出审计日志", details={"filters": form.filters() if form.is_bound else {}},
    )
    return response  # audited once, as file.download, by campaign.downloads.send


# ------------------------------------------------------------------ password change


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, with our template; the signal handlers audit the change."""

    template_name = "campaign/password_change.html"
    success_url = reverse_lazy("campaign-password-change-done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = bool(self.request.GET.get("expired"))
        return context


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "campaign/password_change_done.html"
