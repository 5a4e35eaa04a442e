"""What an audit row may show of its object: secrets (a 随手拍's query code) hidden.

Apart from ``campaign.audit`` so that ``AuditLog.__str__`` can use it: this module imports no model.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q


@dataclass(frozen=True)
class Shown:
    """What a reader sees of an audit row's object, message and values: secrets hidden."""

    object_repr: str
    message: str
    before: Any
    after: Any


def _secret_model(object_type: str) -> Any:
    if not object_type:
        return None
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    return model if getattr(model, "audit_secret_fields", None) else None


def _without(values: Any, secret: tuple[str, ...]) -> Any:
    if isinstance(values, dict):
        return {k: v for k, v in values.items() if k not in secret}
    return values


# The public routes whose URL carries a 随手拍's query code (snaps/urls.py), and the model that declares it secret.
CODE_ROUTES = ("snaps-public-status", "snaps-public-photo")
CODE_HIDDEN = "（查询码已隐去）"


def _path_code(path: Any) -> str:
    """The query code in ``path`` when it is one of :data:`CODE_ROUTES`, else ""."""
    if not isinstance(path, str) or not path:
        return ""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return ""
    if match.url_name not in CODE_ROUTES:
        return ""
    return str(match.kwargs.get("code") or "")


def _without_code_path(row: Any, shown_row: Shown) -> Shown:
    """``shown_row`` without the query code an old download row keeps in ``after["path"]`` (and its message).

    Until public photo views stopped being audited, each wrote ``file.download`` for the photo (a
    ``snaps.SnapPhoto`` or ``inspections.RectificationPhoto``) with the request path ``/snaps/q/<code>/photos/…``.
    """
    after = shown_row.after
    if not isinstance(after, dict):
        return shown_row
    code = _path_code(after.get("path"))
    if not code:
        return shown_row
    after = {**after, "path": after["path"].replace(f"/{code}/", f"/{CODE_HIDDEN}/")}
    snap = apps.get_model("snaps", "Snap")
    pattern = getattr(snap, "audit_secret_pattern", "")
    message = shown_row.message.replace(code, CODE_HIDDEN)
    object_repr = shown_row.object_repr.replace(code, CODE_HIDDEN)
    if pattern:
        message = re.sub(pattern, lambda m: CODE_HIDDEN, message)
    return Shown(object_repr, message, shown_row.before, after)


def shown(row: Any) -> Shown:
    """``row`` as the page, the export and the admin show it (see :func:`_shown_object`), and without the
    query code an old public photo download keeps in its path (:func:`_without_code_path`)."""
    return _without_code_path(row, _shown_object(row))


def _shown_object(row: Any) -> Shown:
    """``row`` as the page, the export and the admin show it.

    Rows written before a model declared ``audit_secret_fields`` may still hold the secret (a 随手拍's
    query code in the object's description, in a merge's message and in before/after). The log is
    append-only (the app role may not update it, docs/security.md §6/§9), so such rows are masked
    here, when shown, not rewritten: the code becomes the report's number (``随手拍举报 #12``).
    """
    model = _secret_model(row.object_type)
    if model is None:
        return Shown(row.object_repr, row.message, row.before, row.after)
    secret = tuple(model.audit_secret_fields)
    pattern = getattr(model, "audit_secret_pattern", "")
    label = f"{model._meta.verbose_name} #{row.object_id}" if row.object_id else str(model._meta.verbose_name)
    object_repr, message = row.object_repr, row.message
    if pattern:
        object_repr = re.sub(pattern, lambda m: label, object_repr)
        if row.action == "snap.merge" and isinstance(row.after, dict) and row.after.get("merged_into_id"):
            target = f"{model._meta.verbose_name} #{row.after['merged_into_id']}"
        else:
            target = CODE_HIDDEN
        message = re.sub(pattern, lambda m: target, message)
    return Shown(object_repr, message, _without(row.before, secret), _without(row.after, secret))


def secret_free_text(term: str, fields: Iterable[str]) -> Any:
    """A filter (``Q``) for rows whose ``fields`` contain ``term``, not counting rows that may hold a secret.

    A search by part of a query code over old 随手拍 rows would confirm the code letter by letter, so a
    row of a model with ``audit_secret_fields`` matches by its text only when that text was written
    without the secret (its description starts with ``随手拍举报 #<id>``, the model's own ``__str__``).
    """
    text = Q()
    for name in fields:
        text |= Q(**{f"{name}__icontains": term})
    secret_types = sorted(m._meta.label for m in apps.get_models() if getattr(m, "audit_secret_fields", None))
    written_clean = Q()
    for label in secret_types:
        written_clean |= Q(object_type=label, object_repr__startswith=f"{apps.get_model(label)._meta.verbose_name} #")
    if not secret_types:
        return text
    return text & (~Q(object_type__in=secret_types) | written_clean)
