"""Benchmark notices at the size of a city's morning.

    python manage.py bench_notices                  # 1,000 people × 2 notices, 300 SMS through a local gateway
    python manage.py bench_notices --people 100 --sms 50   # a quick run

Creates throwaway accounts (``bench-notice-*``) with one unit (``bench-notices``), then measures:

- floor: a bare ``Notification.bulk_create`` of the same rows (what the apps did before ``notify``);
- ``notify_many`` of the same batch, in-app only (no outside channel configured): wall time, queries;
- the same batch triggered again (finds every row, sends nothing);
- SMS delivery through a local HTTP gateway (http.server in a thread, on this machine): notices per
  second with Celery eager (inline; a worker per process does the same work);
- the 每日摘要 page of one person with 40 notices and the office's 消息推送记录 page: median of 5
  requests and their query counts.

Everything it made is deleted at the end.
"""
from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from campaign.models import Membership, Notification, Role, Unit, UnitType
from notices import services
from notices.models import Event, Notice, NoticeStatus

PREFIX = "bench-notice-"
UNIT = "bench-notices"


class _Gateway(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"code":"OK"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _timed(fn):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    return result, elapsed, len(queries)


def _page(client: Client, url: str) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url, secure=True)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        count = len(queries)
    return statistics.median(times), count


class Command(BaseCommand):
    help = "Benchmark notices: notify at size, idempotent re-trigger, SMS delivery, digest and log pages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--people", type=int, default=1000)
        parser.add_argument("--sms", type=int, default=300)

    def handle(self, *args, people: int, sms: int, **options) -> None:
        User = get_user_model()
        self._cleanup()
        unit = Unit.objects.create(name=UNIT, unit_type=UnitType.STREET)
        users = User.objects.bulk_create([User(username=f"{PREFIX}{i:05d}", first_name=f"联络员{i}") for i in range(people)])
        users = list(User.objects.filter(username__startswith=PREFIX).order_by("pk"))
        Membership.objects.bulk_create([Membership(user=u, unit=unit, role=Role.OFFICIAL, phone=f"139{i:08d}") for i, u in enumerate(users)])
        admin = User.objects.create(username=f"{PREFIX}admin", first_name="王主任")
        Membership.objects.create(user=admin, unit=unit, role=Role.ADMIN)
        day = dt.date(2026, 11, 27)
        items = [
            services.Item(Event.DEADLINE_SOON if k == 0 else Event.FINDING_NEW, u.pk, f"bench-{k}", f"【即将到期】任务“宣传栏建设”第{k}项", "", unit.pk)
            for u in users for k in range(2)
        ]
        try:
            with override_settings(NOTICE_SMS_URL="", EMAIL_HOST=""):
                with transaction.atomic():
                    _, floor, floor_q = _timed(lambda: Notification.objects.bulk_create([
                        Notification(user_id=i.user_id, unit_id=i.unit_id, key=i.key, day=day, message=i.message) for i in items
                    ]))
                    transaction.set_rollback(True)
                result, first, first_q = _timed(lambda: services.notify_many(items, day=day))
                _, again, again_q = _timed(lambda: services.notify_many(items, day=day))
            self.stdout.write(f"notify: {len(items)} notices to {people} people, in-app only")
            self.stdout.write(f"  floor Notification.bulk_create  {floor * 1000:8.0f} ms  {floor_q} queries")
            self.stdout.write(f"  notify_many (first)             {first * 1000:8.0f} ms  {first_q} queries  ({len(result.new)} new)")
            self.stdout.write(f"  notify_many (triggered again)   {again * 1000:8.0f} ms  {again_q} queries")

            server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                url = f"http://127.0.0.1:{server.server_address[1]}/sms"
                batch = [services.Item(Event.FINDING_NEW, u.pk, "bench-sms", "新问题：人民路垃圾未清运", "", unit.pk) for u in users[:sms]]
                with override_settings(NOTICE_SMS_URL=url, EMAIL_HOST="", CELERY_TASK_ALWAYS_EAGER=True):
                    _, took, _q = _timed(lambda: services.notify_many(batch, day=day))
            finally:
                server.shutdown()
                server.server_close()
            sent = Notice.objects.filter(key="bench-sms", status=NoticeStatus.SENT, channel="sms").count()
            self.stdout.write(f"SMS via a local gateway: {sent}/{len(batch)} sent in {took:.2f} s = {sent / took:.0f} notices/s "
                              f"({took / max(1, sent) * 1000:.1f} ms each, claim + HTTP + record)")

            person = users[0]
            services.notify_many([services.Item(Event.FINDING_NEW, person.pk, f"bench-day-{k}", f"新问题{k}", "", unit.pk)
                                  for k in range(38)], day=day)
            client = Client(HTTP_HOST="localhost")
            client.force_login(person)
            median, queries = _page(client, f"/notices/digest/?day={day:%Y-%m-%d}")
            self.stdout.write(f"每日摘要 page (40 notices): median {median * 1000:.0f} ms, {queries} queries")
            client.force_login(admin)
            median, queries = _page(client, "/notices/log/")
            self.stdout.write(f"消息推送记录 page ({Notice.objects.count()} notices, 30 a page): median {median * 1000:.0f} ms, {queries} queries")
            median, queries = _page(client, "/notices/log/?status=sent&channel=sms")
            self.stdout.write(f"消息推送记录 filtered (sent by SMS): median {median * 1000:.0f} ms, {queries} queries")
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        User = get_user_model()
        Notice.objects.filter(unit__name=UNIT).delete()
        User.objects.filter(username__startswith=PREFIX).delete()
        Unit.objects.filter(name=UNIT).delete()
