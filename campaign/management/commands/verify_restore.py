"""Restore a ``pg_dump -Fc`` dump into an empty database and check it matches the source.

    python manage.py verify_restore --dump /backup/chuangwen-20261129.dump
    python manage.py verify_restore            # dumps the current database first

Compares the row count of every table Django knows and every published
month's scores (campaign, month, unit, score, rank) between the current
database and the restored copy. Tables that change by themselves while the
site runs (sessions, login attempts, the audit log) are reported but do not
fail the check when comparing against a live database. Published months are
frozen, so their scores must be identical.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.utils import load_backend

# Tables that move on their own while the site is up (not data loss if they differ).
VOLATILE_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog", "campaign_auditlog"}
CHECK_ALIAS = "restore_check"


@dataclass
class Fingerprint:
    """What must survive a backup: row counts per table and the published scores."""

    counts: dict[str, int] = field(default_factory=dict)
    published_scores: list[tuple] = field(default_factory=list)


def fingerprint(alias: str) -> Fingerprint:
    """Row counts of every concrete model's table and the published scores, read through ``alias``."""
    result = Fingerprint()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        result.counts[meta.db_table] = model._base_manager.using(alias).count()
    # Looked up by name: campaign sits below reports in the import chain.
    score_model = apps.get_model("reports", "UnitMonthScore")
    result.published_scores = [
        (campaign_id, month.isoformat(), unit_id, str(score), rank)
        for campaign_id, month, unit_id, score, rank in score_model._base_manager.using(alias)
        .filter(period__status="published")
        .order_by("period__campaign_id", "period__month", "unit_id")
        .values_list("period__campaign_id", "period__month", "unit_id", "score", "rank")
    ]
    return result


def compare(source: Fingerprint, restored: Fingerprint, *, strict: bool) -> tuple[list[str], list[str]]:
    """(problems, notes): differences that fail the check, and differences in volatile tables."""
    problems: list[str] = []
    notes: list[str] = []
    for table in sorted(set(source.counts) | set(restored.counts)):
        a, b = source.counts.get(table), restored.counts.get(table)
        if a != b:
            line = f"{table}: 源库 {a} 行，恢复库 {b} 行"
            (notes if table in VOLATILE_TABLES and not strict else problems).append(line)
    if source.published_scores != restored.published_scores:
        problems.append(
            f"已发布月份得分不一致：源库 {len(source.published_scores)} 条，恢复库 {len(restored.published_scores)} 条"
        )
    return problems, notes


@contextmanager
def database_alias(name: str) -> Iterator[str]:
    """A temporary connection alias (``CHECK_ALIAS``) to database ``name`` on the default server.

    The connection is handed to Django's connection handler for this thread only
    and not added to the settings, so nothing else ever sees the alias.
    """
    source = connections["default"].settings_dict
    wrapper = load_backend(source["ENGINE"]).DatabaseWrapper({**source, "NAME": name}, CHECK_ALIAS)
    connections[CHECK_ALIAS] = wrapper
    try:
        yield CHECK_ALIAS
    finally:
        wrapper.close()
        del connections[CHECK_ALIAS]


def pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pg_args(db: dict) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandError(f"命令失败（{cmd[0]}，退出码 {done.returncode}）：{done.stderr.strip()[:2000]}")


class Command(BaseCommand):
    help = "把 pg_dump -Fc 备份恢复到一个空数据库，并核对各表行数和已发布月份的得分。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dump", help="pg_dump -Fc 生成的备份文件；不给则先备份当前数据库")
        parser.add_argument("--target-db", help="用于恢复检查的空数据库名（默认：当前库名_restore_check）")
        parser.add_argument("--keep", action="store_true", help="检查后保留恢复出的数据库")
        parser.add_argument("--strict", action="store_true", help="会话、登录尝试、审计日志的行数也必须一致")

    def handle(self, *args, dump: str | None, target_db: str | None, keep: bool, strict: bool, **options) -> None:
        source = connections["default"].settings_dict
        if source["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("恢复检查只支持 PostgreSQL：当前数据库不是 PostgreSQL（请设置 DATABASE_URL）。")
        target = target_db or f"{source['NAME']}_restore_check"
        if target == source["NAME"]:
            raise CommandError("恢复目标不能是当前数据库。")
        env, conn_args = pg_env(source), pg_args(source)

        with tempfile.TemporaryDirectory(prefix="chuangwen-restore-") as tmp:
            if not dump:
                dump = str(Path(tmp) / "source.dump")
                self.stdout.write(f"备份当前数据库 {source['NAME']} → {dump}")
                _run(["pg_dump", "-Fc", *conn_args, "-f", dump, source["NAME"]], env)
            elif not Path(dump).is_file():
                raise CommandError(f"备份文件不存在：{dump}")

            # An empty database: refuse to restore over one that already exists.
            check = subprocess.run(
                ["psql", *conn_args, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{target}'"],
                env=env, capture_output=True, text=True,
            )
            if check.stdout.strip() == "1":
                raise CommandError(f"目标数据库 {target} 已存在：请换一个名字或先删除它，恢复检查只往空库里恢复。")
            _run(["createdb", *conn_args, target], env)
            try:
                self.stdout.write(f"恢复 {dump} → {target}")
                _run(["pg_restore", *conn_args, "--no-owner", "--exit-on-error", "-d", target, dump], env)
                with database_alias(target):
                    restored_counts = fingerprint(CHECK_ALIAS)
                problems, notes = compare(fingerprint("default"), restored_counts, strict=strict)
            finally:
                if not keep:
                    _run(["dropdb", *conn_args, "--if-exists", target], env)

        for note in notes:
            self.stdout.write(f"提示（运行中会变化的表）：{note}")
        if problems:
            raise CommandError("恢复检查未通过：\n" + "\n".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复检查通过：{len(restored_counts.counts)} 张表行数一致，"
                f"已发布得分 {len(restored_counts.published_scores)} 条一致。"
            )
        )
