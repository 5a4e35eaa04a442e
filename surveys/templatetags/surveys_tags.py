"""Template helpers of the surveys pages."""
from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """``mapping|get_item:key`` (rates per measure, charts per question)."""
    return mapping.get(key) if mapping else None


@register.filter
def percent(share: Any) -> str:
    """A share (0.9333) as "93.33%"; "—" when there is none."""
    return "—" if share is None else f"{share * 100:.2f}%"


@register.simple_tag
def inline_static(path: str) -> Any:
    """The text of a small static file, for a ``<style>`` block (public pages: one request on a slow link).

    Read once per process; found through the staticfiles finders (the source under ``static/``), and
    only ``.css`` files, so no template can inline anything else."""
    from django.utils.safestring import mark_safe

    if not path.endswith(".css"):
        raise ValueError("inline_static 只内联 .css 文件")
    text = _INLINED.get(path)
    if text is None:
        from django.contrib.staticfiles import finders

        found = finders.find(path)
        if not found:
            raise FileNotFoundError(path)
        with open(found, encoding="utf-8") as handle:
            text = handle.read().replace("</", "<\\/")  # nothing in a stylesheet can close the <style> element
        _INLINED[path] = text
    return mark_safe(text)


_INLINED: dict[str, str] = {}
