"""Server-side pictures for surveys: a horizontal bar chart of a question's answers (SVG, no
JavaScript, also embedded in the results PDF) and the QR code of the public link (segno)."""
from __future__ import annotations

import io
from collections.abc import Sequence

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import OptionStat


def bars_svg(options: Sequence[OptionStat], *, width: int = 360, title: str = "") -> SafeString:
    """One bar per option, its length the share of those who answered; "yes" options in red."""
    row, label_w, right = 26, 120, 70
    height = row * max(len(options), 1) + 8
    plot = width - label_w - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'role="img" aria-label="{escape(title or "答题分布")}">'
    ]
    for i, opt in enumerate(options):
        y = 4 + i * row
        share = float(opt.share or 0)
        label = opt.label if len(opt.label) <= 9 else opt.label[:8] + "…"
        color = "#b02a37" if opt.counts_yes else "#6c757d"
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12" fill="#212529">'
                     f'<title>{escape(opt.label)}</title>{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{max(plot * share, 0):.1f}" height="16" fill="{color}" rx="2"/>')
        parts.append(f'<text x="{label_w + plot * share + 4:.1f}" y="{y + 16}" font-size="11" fill="#495057">'
                     f'{opt.count}（{share * 100:.1f}%）</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def qr_svg(url: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=True)
    return out.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
