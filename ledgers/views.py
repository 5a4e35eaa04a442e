"""Views of the ledgers: thin — access-checked fetch, form, service, redirect.

Every register has the same four pages (list, add, edit, delete) driven by ``ledgers/kinds.py``;
the statistics page reads ``ledgers.selectors``. An official opening another unit's row gets a
404; leaders and inspectors read every unit and write nothing (403 on a write).
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign import access, excel, uploads
from campaign.periods import file_name
from campaign.selectors import current_campaign

from . import importers, kinds, selectors, services
from .forms import PeriodForm, writable_units
from .models import BoardPhoto, MeetingPhoto

PAGE_SIZE = 50


def _campaign_or_404(request: HttpRequest) -> Any:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


def _kind_or_404(key: str) -> kinds.LedgerKind:
    try:
        return kinds.get(key)
    except KeyError:
        raise Http404("没有这种台账。") from None


def _rows(request: HttpRequest, kind: kinds.LedgerKind, campaign: Any) -> Any:
    qs = kind.model.objects.filter(campaign=campaign).select_related("unit", *kind.related)
    return access.filter_visible(request.user, qs)


def _can_write_any(user: Any) -> bool:
    return writable_units(user).exists()


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """工作台账: the registers with the number of rows the user may see, and the main figures."""
    campaign = _campaign_or_404(request)
    cards = []
    for kind in kinds.KINDS.values():
        cards.append({"kind": kind, "count": _rows(request, kind, campaign).count()})
    sees_all = access.sees_all_units(request.user)
    own = access.own_units(request.user).first() if not sees_all else None
    # The city's figures for the office, a unit's for its official, none for an account without a role.
    figures = selectors.summary_figures(campaign, own) if sees_all or own is not None else []
    return render(request, "ledgers/index.html", {
        "campaign": campaign, "cards": cards, "figures": figures, "scope": own.name if own else "全市",
        "can_write": _can_write_any(request.user), "kinds": kinds.KINDS.values(),
    })


def _filtered(request: HttpRequest, kind: kinds.LedgerKind, campaign: Any) -> tuple[Any, dict[str, Any]]:
    """The register's rows the user may see, filtered and sorted as the list's query string asks."""
    qs = _rows(request, kind, campaign)
    units = access.visible_units(request.user).filter(is_active=True).order_by("path")
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        unit = units.filter(pk=int(unit_id)).first()
        if unit is not None:
            qs = qs.filter(unit__path__startswith=unit.path)
    category_choices = kind.model._meta.get_field(kind.category_field).choices if kind.category_field else []
    category = request.GET.get("category", "")
    if kind.category_field and category in dict(category_choices):
        qs = qs.filter(**{kind.category_field: category})
    q = request.GET.get("q", "").strip()[:50]
    if q:
        condition = Q()
        for name in kind.search:
            condition |= Q(**{f"{name}__icontains": q})
        qs = qs.filter(condition)
    sort = selectors.ledger_sort(kind, request.GET.get("sort"))
    qs = qs.order_by(*selectors.ledger_ordering(kind, sort))
    return qs, {
        "units": units, "unit_id": unit_id, "q": q, "category": category, "category_choices": category_choices,
        "sort": sort.value, "headers": selectors.sort_headers(kind, sort, request.GET),
    }


@login_required
@require_GET
def row_list(request: HttpRequest, kind_key: str) -> HttpResponse:
    """One register: filter by unit, category and text; sort by a whitelisted column."""
    campaign = _campaign_or_404(request)
    kind = _kind_or_404(kind_key)
    qs, filters = _filtered(request, kind, campaign)
    if kind.photos:
        qs = qs.annotate(photo_count=Count(kind.photos))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(request, "ledgers/list.html", {
        "campaign": campaign, "kind": kind, "page": page, **filters,
        "export_query": export_query.urlencode(), "can_write": _can_write_any(request.user), "kinds": kinds.KINDS.values(),
    })


@login_required
@require_GET
def row_export(request: HttpRequest, kind_key: str) -> HttpResponse:
    """The filtered register as .xlsx, in the import template's columns (it imports back unchanged)."""
    campaign = _campaign_or_404(request)
    kind = _kind_or_404(kind_key)
    qs, _ = _filtered(request, kind, campaign)
    import_kind = importers.BY_LEDGER[kind.key]
    return excel.stream_table(
        request, title=import_kind.sheet_title, headers=import_kind.spec.headers, rows=import_kind.table_rows(qs),
        filename=file_name(f"{campaign.name}-{import_kind.label}", "xlsx"), what=f"导出{import_kind.label}",
    )


def _form_page(request: HttpRequest, kind: kinds.LedgerKind, campaign: Any, row: Any = None) -> HttpResponse:
    user = request.user
    if row is None:
        read_only = False
        if not _can_write_any(user):
            raise PermissionDenied("您没有填报台账的权限。")
        row = kind.model(campaign=campaign)
    read_only = row.pk is not None and not access.can(user, "ledgers.edit", row)
    if read_only and request.method == "POST":
        raise PermissionDenied("您没有修改该台账的权限。")
    form = kind.form(request.POST or None, request.FILES or None, instance=row, user=user)
    if read_only:
        # Leaders and inspectors read the row: the unit list they may write is empty, so show the row's own.
        form.fields["unit"].queryset = type(row.unit).objects.filter(pk=row.unit_id)
        for name in ("village", "point"):
            value = getattr(row, f"{name}_id", None) if name in form.fields else None
            if value is not None:
                form.fields[name].queryset = form.fields[name].queryset.model.objects.filter(pk=value)
        for field in form.fields.values():
            field.disabled = True
        form.fields.pop("photo", None)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if not access.can(user, "ledgers.edit", saved):
            raise PermissionDenied("您只能填报本单位的台账。")
        saved, created = services.ledger_row_save(
            kind=kind, row=saved, campaign=campaign, user=user, fields=list(form.Meta.fields),
            photo=form.cleaned_data.get("photo"), client_token=form.cleaned_data.get("client_token"), request=request,
        )
        messages.success(request, f"已保存{kind.label}：{saved}。")
        return redirect(f"{reverse('ledgers-list', args=[kind.key])}?sort={kind.default_sort}")
    photos = list(getattr(row, kind.photos).all()) if kind.photos and row.pk else []
    return render(request, "ledgers/form.html", {
        "campaign": campaign, "kind": kind, "form": form, "row": row, "photos": photos, "read_only": read_only,
    })


@login_required
@require_http_methods(["GET", "POST"])
def row_add(request: HttpRequest, kind_key: str) -> HttpResponse:
    return _form_page(request, _kind_or_404(kind_key), _campaign_or_404(request))


@login_required
@require_http_methods(["GET", "POST"])
def row_edit(request: HttpRequest, kind_key: str, row_pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request)
    kind = _kind_or_404(kind_key)
    row = access.get_visible_or_404(request.user, _rows(request, kind, campaign), pk=row_pk)
    return _form_page(request, kind, campaign, row)


@login_required
@require_POST
def row_delete(request: HttpRequest, kind_key: str, row_pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request)
    kind = _kind_or_404(kind_key)
    row = access.get_visible_or_404(request.user, _rows(request, kind, campaign), pk=row_pk)
    if not access.can(request.user, "ledgers.edit", row):
        raise PermissionDenied("您没有删除该台账的权限。")
    services.ledger_row_delete(kind=kind, row=row, user=request.user, fields=list(kind.form.Meta.fields), request=request)
    messages.success(request, f"已删除{kind.label}：{row}。")
    return redirect("ledgers-list", kind.key)


@login_required
@require_GET
def photo(request: HttpRequest, kind_key: str, ledger_photo_pk: int) -> HttpResponse:
    """A board's or meeting's photo, for those who may see its row (audited)."""
    models = {"boards": (BoardPhoto, "board"), "meetings": (MeetingPhoto, "meeting")}
    if kind_key not in models:
        raise Http404("没有这种照片。")
    model, link = models[kind_key]
    stored = access.get_visible_or_404(request.user, model.objects.select_related(f"{link}__unit"), field=f"{link}__unit", pk=ledger_photo_pk)
    return uploads.file_response(stored, request=request, inline=request.GET.get("inline") == "1")


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """台账统计: figures per 乡镇/街道 (and the city for the office), each with its rule."""
    campaign = _campaign_or_404(request)
    sees_all = access.sees_all_units(request.user)
    units = list(selectors.stats_units(request.user))
    if not sees_all and not units:
        units = list(access.own_units(request.user))
    period = PeriodForm(request.GET or None)
    start = end = None
    if period.is_bound and period.is_valid():
        start, end = period.cleaned_data.get("start"), period.cleaned_data.get("end")
    rows, rules = selectors.statistics(campaign, units, with_city=sees_all, start=start, end=end)
    columns = [f for f in rules if f.key in selectors.STATS_COLUMNS]
    return render(request, "ledgers/stats.html", {
        "campaign": campaign, "rows": rows, "rules": rules, "columns": columns, "sees_all": sees_all, "period": period,
        "kinds": kinds.KINDS.values(),
    })
