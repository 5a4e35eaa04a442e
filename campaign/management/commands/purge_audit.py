"""Delete audit rows older than the retention period (at least 180 days, never younger rows)."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from campaign import audit
from campaign.audit import RETENTION_DAYS
from campaign.models import AuditLog


def purge_audit(*, days: int, now: dt.datetime | None = None) -> int:
    """Delete audit rows older than ``days`` days; refuses ``days`` below the 180-day retention.

    This is the only code that deletes audit rows; the application itself never does.
    """
    if days < RETENTION_DAYS:
        raise CommandError(f"审计日志至少保留 {RETENTION_DAYS} 天：--days 不能小于 {RETENTION_DAYS}（收到 {days}）。")
    if connection.vendor == "postgresql" and now is None:
        # The app role may not delete audit rows: the owner's function does, and refuses < 180 days
        # itself (migration reports 0006, docs/security.md).
        with connection.cursor() as cursor:
            cursor.execute("SELECT cw_purge_audit(%s)", [days])
            deleted = cursor.fetchone()[0]
    else:
        cutoff = (now or timezone.now()) - dt.timedelta(days=days)
        deleted, _ = AuditLog.objects.filter(at__lt=cutoff).delete()
    # The purge itself is the one deletion the log must show.
    audit.record("audit.purge", actor_name="system", after={"days": days, "deleted": deleted}, message=f"清理 {days} 天前的审计日志 {deleted} 条")
    return deleted


class Command(BaseCommand):
    help = "删除超过保留期的审计日志（保留期不少于 180 天，较新的日志不会被删除）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=RETENTION_DAYS, help=f"保留天数，不少于 {RETENTION_DAYS}")

    def handle(self, *args, days: int, **options) -> None:
        deleted = purge_audit(days=days)
        self.stdout.write(f"已删除 {deleted} 条早于 {days} 天的审计日志。")
