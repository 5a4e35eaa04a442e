"""Monthly assessment pages: the months, a month's ranking (preview or published), one unit's
explained score, publishing and revoking, and the published bulletin.

Admins, inspectors and leaders see every unit; unit officials see their own unit(s) while a
month is open and, once it is published, the bulletin and every unit's rank (the public part;
other units' explanations stay 404). Only admins publish and revoke.
"""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from campaign import access, sorting
from campaign.models import Campaign, Unit
from campaign.periods import month_label, parse_month
from campaign.selectors import current_campaign
from inspections.selectors import open_appeals

from . import selectors, services
from .charts import trend_svg
from .data import RANKING_LABELS, build_report_data, page_data, ranking_cells, report_data, summary_figures, year_data
from .forms import RevokeForm
from .scoring import KIND_LABELS, month_is_published, month_scores, pass_rates

OBJECT_URLS = {
    "inspections.finding": "inspections-finding-detail",
    "tasks.task": "tasks-detail",
}


def ranking_rows(members: list, month_slug: str, overall: bool, linkable: set[int] | None = None) -> list[dict]:
    """The ranking table's cells, formatted once in Python by :func:`reports.data.ranking_cells` (the
    PDF, Word and workbook read the same): at 1,000 units the template stays a plain loop (per-cell
    template logic cost seconds). ``linkable``: the units whose explanation the viewer may open (None: all)."""
    prefix = reverse("reports-unit-month", args=[month_slug, 0])[:-2] if month_slug else ""
    rows = []
    for u in members:
        link = prefix and (linkable is None or u.unit_id in linkable)
        change_css = "text-muted" if not u.change else ("text-success" if u.change > 0 else "text-danger")
        rows.append({**ranking_cells(u, overall=overall), "url": f"{prefix}{u.unit_id}/" if link else "", "change_css": change_css})
    return rows


def ranking_columns(*, overall: bool) -> list[sorting.Column]:
    """The ranking table's columns (titles: reports.data.RANKING_LABELS); "cw-more" ones are hidden on
    a phone until 显示全部列."""
    more, L = "cw-more", RANKING_LABELS
    columns = [sorting.Column(L["rank"], "overall" if overall else "rank"), sorting.Column(L["name"], "name")]
    if overall:
        columns += [sorting.Column(L["group"], css=more), sorting.Column(L["group_rank"], number=True, css=more)]
    return columns + [
        sorting.Column(L["findings"], number=True, css=more), sorting.Column(L["penalty"], number=True, css=more),
        sorting.Column(L["task"], number=True, css=more), sorting.Column(L["bonus"], "bonus", number=True, css=more, first="desc"),
        sorting.Column(L["corrections"], number=True, css=more), sorting.Column(L["score"], "score", number=True, first="desc"),
        sorting.Column(L["score_rate"], number=True, css=more), sorting.Column(L["change"], "change", number=True, first="desc"),
    ]


def plain_headers(columns: list[sorting.Column]) -> list[sorting.Header]:
    """Headers that do not sort (the published bulletin's tables)."""
    return [sorting.Header(c.label, "", "", "", c.number, c.css) for c in columns]


# Rows for the month page and the bulletin page; "cw-more" cells are hidden on a phone (app.css).
ROW_HTML = (
    '<tr><td class="fw-bold">{}</td><td>{}</td>{}<td class="text-end cw-more">{}</td><td class="text-end cw-more">{}</td>'
    '<td class="text-end cw-more">{}</td><td class="text-end cw-more">{}</td><td class="text-end cw-more">{}</td>'
    '<td class="text-end fw-bold">{}</td><td class="text-end cw-more">{}</td><td class="text-end text-nowrap {}">{}</td></tr>'
)


def ranking_rows_html(rows: list[dict], overall: bool) -> SafeString:
    """The table body, escaped by format_html: a template loop over 1,000 rows × 12 cells
    takes ~0.5 s on this machine, this takes a few milliseconds."""
    parts = []
    for r in rows:
        name = format_html('<a href="{}">{}</a>', r["url"], r["name"]) if r["url"] else r["name"]
        extra = format_html('<td class="small text-nowrap cw-more">{}</td><td class="text-end cw-more">{}</td>', r["group"], r["group_rank"]) if overall else ""
        parts.append(format_html(
            ROW_HTML, r["rank"], name, extra, r["findings"], r["penalty"], r["task"], r["bonus"], r["corrections"],
            r["score"], r["score_rate"], r["change_css"], r["change"],
        ))
    return mark_safe("".join(parts))  # every part above went through format_html


RANKING_PAGE_ROWS = 100  # ranking rows on one page (1,000 units were 488 KB of HTML in one page)


def paged_groups(groups: list[tuple[str, list]], number: str | None, per_page: int = RANKING_PAGE_ROWS):
    """One page of the ranking by group: the units of every group, in group order, cut into pages
    of ``per_page`` rows; returns the page and ``(group, units in the group, its units on the
    page)`` for each group on it (a group may run over two pages)."""
    flat = [(index, unit) for index, (_name, members) in enumerate(groups) for unit in members]
    page = Paginator(flat, per_page).get_page(number)
    on_page: dict[int, list] = {}
    for index, unit in page.object_list:
        on_page.setdefault(index, []).append(unit)
    return page, [(groups[index][0], len(groups[index][1]), members) for index, members in on_page.items()]


def _campaign_or_404(request: HttpRequest) -> Campaign:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


def _month_or_404(campaign: Campaign, text: str) -> dt.date:
    try:
        month = parse_month(text)
    except ValueError:
        raise Http404("月份格式不正确。") from None
    if month not in campaign.months():
        raise Http404(f"{month_label(month)}不在本次创建活动的月份内。")
    return month


def _visible_unit_ids(request: HttpRequest) -> set[int] | None:
    """None for roles that see every unit, else the ids an official may see."""
    if access.sees_all_units(request.user):
        return None
    return set(access.visible_units(request.user).values_list("pk", flat=True))


def _require_some_role(request: HttpRequest) -> None:
    if not access.roles_of(request.user):
        raise Http404("未找到该页面，或您无权查看。")


@login_required
def month_list(request: HttpRequest) -> HttpResponse:
    """月度考核: every month of the campaign with its status and publication history."""
    _require_some_role(request)
    campaign = _campaign_or_404(request)
    sees_all = access.sees_all_units(request.user)
    rows = selectors.campaign_months(campaign=campaign, with_totals=sees_all)
    own_units = [] if sees_all else list(access.own_units(request.user).filter(ranking_group__isnull=False))
    return render(request, "reports/month_list.html", {
        "campaign": campaign, "rows": rows, "can_publish": access.can(request.user, "reports.publish"),
        "sees_all": sees_all, "own_units": own_units, "revoke_form": RevokeForm(),
        "years": sorted({m.year for m in campaign.months()}),
    })


def own_rows_data(*, campaign: Campaign, month: dt.date):
    """An official's preview of an open month: only their own rows and their groups' ranks are shown,
    so the (cached) totals without lines do; no city-wide figures, lines or findings are read."""
    scores = month_scores(campaign=campaign, month=month, with_lines=False)
    return build_report_data(
        campaign_name=campaign.name, city_name=campaign.city_name, year=month.year, month=month,
        is_published=scores.is_published, units=scores.units, groups=scores.by_group(),
    )


@login_required
def month_detail(request: HttpRequest, month: str) -> HttpResponse:
    """A month's ranking by group or overall, sortable; a preview while the month is open.

    Every figure comes from one :class:`reports.data.ReportData`. Once published, every role sees
    all units' ranks and the figures; before, an official sees only their own units' live rows."""
    _require_some_role(request)
    campaign = _campaign_or_404(request)
    day = _month_or_404(campaign, month)
    if access.sees_month_ranking(request.user, published=month_is_published(campaign, day)):
        data = page_data(campaign=campaign, month=day)
    else:
        data = own_rows_data(campaign=campaign, month=day)
    public = access.sees_month_ranking(request.user, published=data.is_published)
    own = _visible_unit_ids(request)
    visible = None if public else own
    view = "overall" if request.GET.get("view") == "overall" and public else "group"
    # Sorting orders the rows of the table only; the ranks shown are the engine's (never re-ranked).
    sort = sorting.chosen(request.GET, selectors.SORTS, "overall" if view == "overall" else "rank")
    units = data.units if visible is None else [u for u in data.units if u.unit_id in visible]
    slug = f"{day:%Y-%m}"
    if view == "overall":
        page = Paginator(selectors.sorted_units(units, sort.value), RANKING_PAGE_ROWS).get_page(request.GET.get("page"))
        groups = [("全部单位", len(units), ranking_rows_html(ranking_rows(page.object_list, slug, True, own), True))]
    else:
        sorted_groups = [(name, selectors.sorted_units([u for u in members if visible is None or u.unit_id in visible], sort.value))
                         for name, members in data.groups]
        page, groups = paged_groups(sorted_groups, request.GET.get("page"))
        groups = [(name, total, ranking_rows_html(ranking_rows(members, slug, False, own), False)) for name, total, members in groups]
    rows = {r.month: r for r in selectors.campaign_months(campaign=campaign, only=day, with_totals=False)}
    return render(request, "reports/month_detail.html", {
        "campaign": campaign, "month": day, "month_slug": slug, "label": month_label(day), "scores": data, "data": data,
        "groups": groups, "page": page, "view": view, "overall": view == "overall", "sort": sort.value, "sees_all": visible is None,
        "staff": access.sees_all_units(request.user), "figures": summary_figures(data) if visible is None else [],
        "top_indicators": data.top_indicators, "top_points": data.top_points, "row": rows.get(day),
        "holds_data": selectors.month_holds_data(campaign=campaign, month=day) if access.can(request.user, "reports.publish") else True,
        "can_publish": access.can(request.user, "reports.publish"), "revoke_form": RevokeForm(),
        # The preview lists the month's undecided appeals (inspections.selectors.open_appeals).
        "open_appeals": list(open_appeals(campaign, day)) if not data.is_published and access.sees_all_units(request.user) else [],
        "headers": sorting.headers(ranking_columns(overall=view == "overall"), sort, request.GET),
        "pass_rate_tables": [
            (title, pass_rates(campaign=campaign, month=day, by=by))
            for title, by in (("按测评标准", "indicator"), ("按街道（乡镇）", "street"), ("按考核组别", "group"))
        ] if access.sees_all_units(request.user) and campaign.scoring_mode != "deduction" else [],
    })


@login_required
def year_summary(request: HttpRequest, year: int) -> HttpResponse:
    """年度考核: per unit the average of the year's published months, rank per group and the scores
    month by month. Built from published snapshots only, so every role sees it (like the bulletin)."""
    _require_some_role(request)
    campaign = _campaign_or_404(request)
    if year not in {m.year for m in campaign.months()}:
        raise Http404(f"{year}年不在本次创建活动的时间范围内。")
    data = year_data(campaign=campaign, year=year)
    own = _visible_unit_ids(request)
    return render(request, "reports/year_summary.html", {
        "campaign": campaign, "year": year, "data": data, "own": own or set(),
        "month_labels": [(f"{m:%Y-%m}", f"{m.month}月" + (f"（权重{data.weight(m).normalize()}）" if data.weighted else ""))
                         for m in data.months],
        "groups": [
            (name, [(u, [u.scores.get(m) for m in data.months]) for u in members]) for name, members in data.groups
        ],
    })


@login_required
def unit_month(request: HttpRequest, month: str, unit_id: int) -> HttpResponse:
    """Why a unit has its score: every line, summing exactly to the final score, and its trend."""
    campaign = _campaign_or_404(request)
    day = _month_or_404(campaign, month)
    unit = access.get_visible_or_404(request.user, Unit.objects.select_related("ranking_group"), field="", pk=unit_id)
    scores = month_scores(campaign=campaign, month=day, with_lines=True, lines_for={unit.pk})
    score = scores.get(unit.pk)
    if score is None:
        raise Http404("该单位不参加月度考核排名。")
    lines = []
    for line in score.lines:
        url = ""
        if line.object_type in OBJECT_URLS and line.object_id:
            url = reverse(OBJECT_URLS[line.object_type], args=[line.object_id])
        lines.append({"line": line, "kind_label": KIND_LABELS.get(line.kind, line.kind), "url": url})
    trend = selectors.unit_trend(campaign=campaign, unit_id=unit.pk, upto=day)
    return render(request, "reports/month_unit.html", {
        "campaign": campaign, "month": day, "month_slug": f"{day:%Y-%m}", "label": month_label(day), "unit": unit,
        "score": score, "lines": lines, "scores": scores, "group_size": sum(1 for u in scores.units if u.ranking_group == score.ranking_group),
        "trend_svg": trend_svg(trend, title=f"{unit.name}得分趋势"), "trend": trend,
        # Drawn narrow for phones: the wide chart shrunk to 340 px had 6 px labels.
        "trend_svg_phone": trend_svg(trend, width=340, height=200, title=f"{unit.name}得分趋势"),
        "total": score.score - score.full_score, "sees_all": access.sees_all_units(request.user),
    })


def _admin_month(request: HttpRequest, month: str, denied: str) -> tuple[Campaign, dt.date]:
    """The campaign and month of an admin's POST (publish / revoke); 403 for anyone else."""
    if not access.can(request.user, "reports.publish"):
        raise PermissionDenied(denied)
    campaign = _campaign_or_404(request)
    return campaign, _month_or_404(campaign, month)


@login_required
@require_POST
def publish(request: HttpRequest, month: str) -> HttpResponse:
    campaign, day = _admin_month(request, month, "只有创建办管理员可以发布月度考核结果。")
    try:
        services.period_publish(campaign=campaign, month=day, actor=request.user, request=request,
                                confirm_empty=request.POST.get("confirm_empty") == "1",
                                confirm_open_appeals=request.POST.get("confirm_open_appeals") == "1")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"{month_label(day)}考核结果已发布，数据已冻结。")
    return redirect("reports-month", month=f"{day:%Y-%m}")


@login_required
@require_POST
def revoke(request: HttpRequest, month: str) -> HttpResponse:
    campaign, day = _admin_month(request, month, "只有创建办管理员可以撤销发布。")
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤销发布必须填写原因。")
    else:
        try:
            services.period_revoke(
                campaign=campaign, month=day, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.warning(request, f"已撤销{month_label(day)}考核结果的发布，该月重新开放。")
    return redirect("reports-month", month=f"{day:%Y-%m}")


@login_required
def bulletin(request: HttpRequest, month: str) -> HttpResponse:
    """The published month's bulletin (通报): read-only, for every role (unit officials included),
    built from the same :class:`reports.data.ReportData` as the PDF, i.e. the frozen snapshot."""
    _require_some_role(request)
    campaign = _campaign_or_404(request)
    day = _month_or_404(campaign, month)
    data = report_data(campaign=campaign, month=day)
    if not data.is_published:
        raise Http404(f"{month_label(day)}的考核结果尚未发布。")
    row = {r.month: r for r in selectors.campaign_months(campaign=campaign, only=day, with_totals=False)}.get(day)
    return render(request, "reports/month_bulletin.html", {
        "campaign": campaign, "month": day, "month_slug": f"{day:%Y-%m}", "label": month_label(day),
        "title": data.title, "data": data, "row": row, "figures": summary_figures(data),
        "groups": [(name, len(members), ranking_rows_html(ranking_rows(members, "", False), False)) for name, members in data.groups],
        "headers": plain_headers(ranking_columns(overall=False)),
        "top_indicators": data.top_indicators, "top_points": data.top_points,
    })
