"""PDF rendering with WeasyPrint, locked down.

WeasyPrint fetches nothing from the network or from the file system outside
the app's own ``static/`` folder (plus self-contained ``data:`` URLs, used for
photos and charts). The Chinese font is Noto Sans CJK SC from the system
(Debian ``fonts-noto-cjk``); WeasyPrint embeds and subsets it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string

STATIC_DIR = (Path(settings.BASE_DIR) / "static").resolve()
CJK_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Noto Sans CJK JP", sans-serif'


class FetchRefused(ValueError):
    pass


def safe_url_fetcher(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    """Allow only files under the app's static folder and ``data:`` URLs."""
    from weasyprint.urls import default_url_fetcher

    if url.startswith("data:"):
        return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        if path.is_relative_to(STATIC_DIR) and path.is_file():
            return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
    raise FetchRefused(f"PDF 渲染拒绝加载外部资源：{url[:100]}")


def html_to_pdf(html: str) -> bytes:
    """Render an HTML string to PDF bytes (relative URLs resolve inside static/)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=safe_url_fetcher).write_pdf()


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a Django template (which should extend ``pdf/base.html``) to PDF bytes.

    Django's autoescaping applies, so user text cannot inject markup.
    """
    context = {"cjk_font_family": CJK_FONT_FAMILY, **context}
    return html_to_pdf(render_to_string(template_name, context))
