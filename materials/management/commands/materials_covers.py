"""Render the 迎检 archive's cover PDFs of some standards into a folder (to look at them, or time them).

    python manage.py materials_covers --ids 3,4,5 --out /path/to/folder [--user 7] [--today 2026-11-29] [--no-fork]

The archive job renders its covers the same way (``materials.archive.render_covers``) in a process
forked from the worker. Each batch of covers renders in a forked process, so WeasyPrint's memory
goes back to the system when the batch is done (``--no-fork``: all in this process); writes
``<requirement id>.pdf`` per standard.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from materials.archive import write_covers


class Command(BaseCommand):
    help = "Render cover PDFs of 材料审核 standards (used by the archive job)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--ids", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--user", type=int)
        parser.add_argument("--today")
        parser.add_argument("--no-fork", action="store_true", help="render every batch in this process")

    def handle(self, *args, **opts) -> None:
        ids = [int(x) for x in opts["ids"].split(",") if x]
        user = get_user_model().objects.get(pk=opts["user"]) if opts["user"] else None
        today = dt.date.fromisoformat(opts["today"]) if opts["today"] else dt.date.today()
        written = write_covers(ids, opts["out"], user=user, today=today, fork=not opts["no_fork"])
        self.stdout.write(f"{written} covers")
