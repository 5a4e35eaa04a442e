"""List (and with --delete remove) uploaded files that no row refers to.

Since ``campaign.uploads.atomic_with_files`` a refused submission leaves no file
behind; this finds the ones left by earlier versions (issue: 20 photos kept after
a refused rectification) or by a crash between writing a file and committing.
Report files (``reports/``) and pending imports (``imports/``) have their own
clean-up and are not looked at. The copies ``campaign.uploads.derived_file`` keeps beside a photo
(thumbnail, public copy) count as referenced while their file and its content are current; the copy
of a deleted or replaced file is an orphan like any other.
"""
from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from campaign.models import StoredFile
from campaign.uploads import DERIVED_VARIANTS, derived_name

SKIPPED_FOLDERS = ("reports", "imports")


def stored_names() -> set[str]:
    """Every file name a StoredFile row (evidence, photos, appeal files …) refers to, and the names of
    the copies kept beside its current content."""
    names: set[str] = set()
    for model in apps.get_models():
        if issubclass(model, StoredFile) and not model._meta.abstract:
            for name, sha256 in model.objects.values_list("file", "sha256").iterator():
                names.add(name)
                names.update(derived_name(name, sha256, variant) for variant in DERIVED_VARIANTS)
    return names


def _walk(folder: str) -> list[str]:
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{f}" if folder else f for f in files]
    for d in dirs:
        found += _walk(f"{folder}/{d}" if folder else d)
    return found


def orphan_files(*, older_than: dt.timedelta) -> list[str]:
    """Upload files no row refers to, last written more than ``older_than`` ago (uploads in flight are left alone)."""
    referenced = stored_names()
    cutoff = timezone.now() - older_than
    orphans = []
    for name in _walk(""):
        if name.split("/", 1)[0] in SKIPPED_FOLDERS or name in referenced:
            continue
        try:
            if default_storage.get_modified_time(name) > cutoff:
                continue
        except (FileNotFoundError, NotImplementedError):
            continue
        orphans.append(name)
    return sorted(orphans)


class Command(BaseCommand):
    help = "列出（加 --delete 则删除）没有任何记录引用的上传文件（佐证材料、问题照片、整改照片、申诉材料）。"

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="删除找到的孤立文件")
        parser.add_argument("--hours", type=int, default=24, help="只处理最后写入早于多少小时的文件（默认 24）")

    def handle(self, *args, delete: bool = False, hours: int = 24, **options):
        orphans = orphan_files(older_than=dt.timedelta(hours=hours))
        total = 0
        for name in orphans:
            size = default_storage.size(name)
            total += size
            self.stdout.write(f"{name}\t{size}")
            if delete:
                default_storage.delete(name)
        verb = "已删除" if delete else "找到"
        self.stdout.write(self.style.SUCCESS(f"{verb}孤立文件 {len(orphans)} 个，共 {total / 1024:.0f} KB。"))
