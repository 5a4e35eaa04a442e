"""Writes of the ledgers: save a row (with its photo), delete one; each leaves an audit row.

The view checks access (``ledgers.edit``) and validates the form; these functions enforce the
rest once: the same add form posted twice gives back the first row (``client_token``), and a
refused photo leaves neither the row nor a file behind (``uploads.atomic_with_files``).
"""
from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest

from campaign import audit, uploads
from campaign.models import Campaign

from .kinds import LedgerKind
from .models import BoardPhoto, LedgerRow, MeetingPhoto

PHOTO_FOLDER = "ledgers"
PHOTO_MODELS = {"boards": (BoardPhoto, "board"), "meetings": (MeetingPhoto, "meeting")}


def _snapshot(row: LedgerRow, fields: list[str]) -> dict[str, Any]:
    return {name: str(getattr(row, name)) if getattr(row, name) is not None else None for name in fields}


def ledger_row_save(
    *,
    kind: LedgerKind,
    row: LedgerRow,
    campaign: Campaign,
    user: Any,
    fields: list[str],
    photo: Any = None,
    client_token: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[LedgerRow, bool]:
    """Create or update ``row`` (already filled by the form); returns ``(row, created)``.

    A new row whose ``client_token`` was seen before is not created again: the first one is
    returned with ``created`` False.
    """
    creating = row.pk is None
    if creating and client_token is not None:
        existing = kind.model.objects.filter(client_token=client_token).first()
        if existing is not None:
            return existing, False
    before = None
    if not creating:
        before = _snapshot(kind.model.objects.get(pk=row.pk), fields)
    row.campaign = campaign
    if creating:
        row.created_by = user if getattr(user, "is_authenticated", False) else None
        row.client_token = client_token
    try:
        with uploads.atomic_with_files():
            row.save()
            if photo:
                model, link = PHOTO_MODELS[kind.key]
                uploads.store_upload(model(**{link: row}), photo, folder=PHOTO_FOLDER, user=user, images_only=True)
    except IntegrityError:
        if creating and client_token is not None:
            existing = kind.model.objects.filter(client_token=client_token).first()
            if existing is not None:  # two copies of the same form raced; the other one won
                return existing, False
        raise
    audit.record(
        f"ledger.{'create' if creating else 'update'}",
        actor=user, obj=row, before=before, after=_snapshot(row, fields), request=request,
        message=f"{'新增' if creating else '修改'}{kind.label}：{row}"[:300],
    )
    return row, creating


def ledger_row_delete(*, kind: LedgerKind, row: LedgerRow, user: Any, fields: list[str], request: HttpRequest | None = None) -> None:
    """Delete a row and its photos (files are removed after the transaction commits)."""
    snapshot = _snapshot(row, fields)
    label = str(row)
    unit = row.unit
    names: list[str] = []
    if kind.photos:
        names = [p.file.name for p in getattr(row, kind.photos).all()]
    row.delete()
    audit.record(
        "ledger.delete", actor=user, unit=unit, before=snapshot, request=request, message=f"删除{kind.label}：{label}"[:300],
    )
    if names:
        from django.core.files.storage import default_storage
        from django.db import transaction

        def remove() -> None:
            for name in names:
                default_storage.delete(name)

        transaction.on_commit(remove)
