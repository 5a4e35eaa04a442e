"""Server-side SVG charts (no JavaScript, no CDN): a unit's score over the campaign's months."""
from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import TrendPoint


def trend_svg(points: list[TrendPoint], *, width: int = 640, height: int = 220, title: str = "") -> SafeString:
    """A line chart of scores by month; open (unpublished) months are drawn hollow.

    Every point is labelled with its score while the months stand at least 40 units apart; closer
    (a narrow chart for phones over many months) only the latest is, the others keep their tooltip.
    """
    known = [p for p in points if p.score is not None]
    left, right, top, bottom = 44, 16, 16, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" style="max-width: {width}px" role="img" '
        f'aria-label="{escape(title or "得分趋势")}" class="cw-trend">',
        f"<title>{escape(title or '得分趋势')}</title>",
    ]
    if not known:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#6c757d" font-size="13">暂无得分数据</text></svg>')
        return mark_safe("".join(parts))
    lo = min(p.score for p in known)
    hi = max(p.score for p in known)
    # A band of at least 2 points so a flat line sits in the middle, not on an edge.
    if hi - lo < 2:
        mid = (hi + lo) / 2
        lo, hi = mid - 1, mid + 1
    lo, hi = Decimal(int(lo)), Decimal(int(hi) + (0 if hi == int(hi) else 1))
    span = hi - lo or Decimal(1)
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, score: Decimal) -> tuple[float, float]:
        return left + i * step if len(points) > 1 else left + plot_w / 2, top + float((hi - score) / span) * plot_h

    for value in (hi, (hi + lo) / 2, lo):
        _, y = xy(0, value)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#6c757d">{value:.1f}</text>')
    coords = [(i, xy(i, p.score)) for i, p in enumerate(points) if p.score is not None]
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for _, (x, y) in coords)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#b02a37" stroke-width="2"/>')
    last_known = coords[-1][0]
    for i, p in enumerate(points):
        x = left + i * step if len(points) > 1 else left + plot_w / 2
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" fill="#495057">{p.label}</text>')
        if p.score is None:
            continue
        _, y = xy(i, p.score)
        fill = "#b02a37" if p.published else "#fff"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="#b02a37" stroke-width="2">'
            f"<title>{p.month.year}年{p.label}：{p.score}分{'（已发布）' if p.published else '（未发布）'}</title></circle>"
        )
        if step >= 40 or i == last_known:
            parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="10" fill="#212529">{p.score}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
