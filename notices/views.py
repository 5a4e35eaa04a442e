"""Pages of the notices app: one's own push settings and daily digest; the office's delivery log."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaign import access, audit

from . import selectors, services
from .forms import DigestDayForm, LogSearchForm, PreferenceForm
from .models import Notice, NoticeStatus, Preference


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref = Preference.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_save(user=request.user, **form.cleaned_data)
            messages.success(request, "消息设置已保存。")
            return redirect("notices-preferences")
    else:
        form = PreferenceForm.for_preference(pref)
    return render(request, "notices/preferences.html", {"form": form})


@login_required
def digest(request: HttpRequest) -> HttpResponse:
    form = DigestDayForm(request.GET or None)
    day = form.cleaned_data["day"] if form.is_bound and form.is_valid() and form.cleaned_data["day"] else timezone.localdate()
    return render(request, "notices/digest.html", {
        "form": form, "digest": selectors.digest_for(user_id=request.user.pk, day=day),
        "recent": selectors.recent_days(user_id=request.user.pk),
    })


def _require_log(request: HttpRequest) -> None:
    if not access.can(request.user, "notices.view_log"):
        raise Http404("未找到该页面。")


@login_required
def log(request: HttpRequest) -> HttpResponse:
    _require_log(request)
    form = LogSearchForm(request.GET or None)
    page = Paginator(selectors.delivery_log(**form.filters()), 30).get_page(request.GET.get("page"))
    return render(request, "notices/log.html", {
        "form": form, "page": page, "counts": selectors.log_counts(), "routes": selectors.routes().values(),
    })


@login_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    _require_log(request)
    notice = get_object_or_404(Notice, pk=pk)
    if services.notice_resend(notice_id=notice.pk):
        audit.record("notice.resend", actor=request.user, obj=notice, unit=notice.unit, message=notice.message[:300], request=request)
        messages.success(request, "已重新发送。")
    else:
        messages.info(request, "这条消息不是失败状态，无需重发。")
    return redirect(f"{reverse('notices-log')}?status={NoticeStatus.FAILED}")
