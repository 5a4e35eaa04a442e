"""Writes for notices: the one entry point every app calls, delivery, digests and escalation.

``notify()`` / ``notify_many()`` is how any app tells people something. For each recipient it
writes, once per (recipient, key, day):

- the in-app ``campaign.Notification`` (always, at once: the platform's own inbox), and
- a :class:`~notices.models.Notice` row that plans the outside channels (routing rules in
  ``notices.routing``) and is sent by the Celery job ``notices.jobs.deliver_notice``, or held for
  the person's digest, or deferred past their quiet hours;
- if the event's route says so and the unit has a group robot, one Notice for the robot.

A second trigger of the same event (a double click, two workers, a job run twice) finds the rows
of the first and sends nothing again; a Notice is claimed with an optimistic update before it is
sent, so two deliveries of one notice cannot both send.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from campaign.models import Notification, Unit
from campaign.workdays import WorkCalendar

from . import routing, selectors
from .channels import BACKENDS, Result, Target
from .models import (  # Channel and Event are also what callers name through this module
    PERSONAL_CHANNELS,
    Channel,
    Delivery,
    Escalation,
    Event,
    Notice,
    NoticeStatus,
    OverdueWatch,
    Preference,
    UnitRobot,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One notice for one person."""

    event: str
    user_id: int
    key: str
    message: str
    url: str = ""
    unit_id: int | None = None


@dataclass
class NotifyResult:
    new: list[tuple[int, str]] = field(default_factory=list)  # (user id, key) notified now
    robot: int = 0
    queued: list[int] = field(default_factory=list)  # Notice ids handed to delivery

    @property
    def user_ids(self) -> list[int]:
        return sorted({uid for uid, _ in self.new})

    def delivered_by(self, channel: str) -> int:
        """Queued notices already delivered on ``channel`` (inline in the eager mode; 0 with a broker, until sent)."""
        return Notice.objects.filter(pk__in=self.queued, channel=channel, status=NoticeStatus.SENT).count()


def _uid(user: Any) -> int:
    return user if isinstance(user, int) else user.pk


def notify(
    *,
    event: str,
    users: Iterable[Any],
    key: str,
    message: str,
    url: str = "",
    unit: Unit | None = None,
    day: dt.date | None = None,
    messages: dict[int, str] | None = None,
    overdue_since: dt.date | None = None,
) -> NotifyResult:
    """Tell ``users`` (ids or users) about one event, once per user, key and day.

    ``messages`` overrides the text per user id. ``unit`` is the unit concerned (shown with the
    notice; its group robot hears the event when the route says so). ``overdue_since`` (with an
    OVERDUE event and a unit) keeps the subject on the escalation watch list.
    """
    day = day or timezone.localdate()
    messages = messages or {}
    unit_id = unit.pk if unit is not None else None
    items = [
        Item(event=event, user_id=uid, key=key, message=messages.get(uid, message), url=url, unit_id=unit_id)
        for uid in sorted({_uid(u) for u in users})
    ]
    result = notify_many(items, day=day, robot_keys={(unit_id, key, event, message, url)} if unit_id else set())
    if event == Event.OVERDUE and overdue_since is not None and unit is not None:
        watch_overdue(subject=key, unit=unit, since=overdue_since, today=day, message=message, url=url)
    return result


def notify_many(
    items: Sequence[Item],
    *,
    day: dt.date | None = None,
    now: dt.datetime | None = None,
    robot_keys: set[tuple[int, str, str, str, str]] | None = None,
) -> NotifyResult:
    """The batch form of :func:`notify`: many people, keys and messages in a few queries.

    ``robot_keys`` (unit id, key, event, message, url): group-robot messages to consider; by
    default one per (unit, key) among the items.
    """
    day = day or timezone.localdate()
    now = now or timezone.now()
    result = NotifyResult()
    if not items and not robot_keys:
        return result
    if robot_keys is None:
        robot_keys = {(i.unit_id, i.key, i.event, i.message, i.url) for i in items if i.unit_id}
    keys = {i.key for i in items} | {k for _, k, _, _, _ in robot_keys}
    existing = set(Notice.objects.filter(day=day, key__in=keys).values_list("recipient", "key"))
    wanted: dict[tuple[int, str], Item] = {}
    for item in items:
        if (f"u:{item.user_id}", item.key) not in existing:
            wanted.setdefault((item.user_id, item.key), item)
    routes = selectors.routes()
    user_ids = {uid for uid, _ in wanted}
    people = selectors.contacts(user_ids)
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    local_now = timezone.localtime(now)
    notices: list[Notice] = []
    for (uid, key), item in wanted.items():
        if uid not in people:
            continue  # inactive or deleted account
        route = routes[item.event]
        pref = prefs.get(uid)
        target = people[uid]
        reachable = {c for c in PERSONAL_CHANNELS if BACKENDS[c].available(target)}
        plan = routing.person_plan(route, pref.channels if pref else None, reachable)
        notice = Notice(
            event=item.event, recipient=f"u:{uid}", user_id=uid, unit_id=item.unit_id, key=key, day=day,
            message=item.message[:300], url=item.url[:300], plan=plan,
        )
        if not plan:
            notice.status, notice.channel, notice.sent_at = NoticeStatus.SENT, "inapp", now
        elif not route.urgent and pref is not None and pref.digest:
            notice.status = NoticeStatus.HELD
        elif not route.urgent and pref is not None and (until := routing.quiet_until(local_now, pref.quiet_start, pref.quiet_end)):
            notice.status, notice.not_before = NoticeStatus.DEFERRED, until
        notices.append(notice)
        result.new.append((uid, key))
    robots = {  # a row with no key name only names the unit's escalation leader
        r.unit_id: r for r in UnitRobot.objects.filter(unit_id__in={u for u, *_ in robot_keys}, is_active=True).exclude(key_name="")
    }
    for unit_id, key, event, message, url in sorted(robot_keys):
        robot = robots.get(unit_id)
        if robot is None or not routes[event].to_group_robot or not routes[event].active:
            continue
        if (f"r:{unit_id}", key) in existing:
            continue
        notices.append(Notice(
            event=event, recipient=f"r:{unit_id}", unit_id=unit_id, to_robot=True, key=key, day=day,
            message=message[:300], url=url[:300], plan=[robot.kind],
        ))
        result.robot += 1
    with transaction.atomic():
        Notice.objects.bulk_create(notices, ignore_conflicts=True)  # a concurrent trigger may have written some
        Notification.objects.bulk_create(
            [
                Notification(user_id=n.user_id, unit_id=n.unit_id, key=n.key, day=day, message=n.message, url=n.url)
                for n in notices if n.user_id
            ],
            ignore_conflicts=True,
        )
    recipients = {n.recipient for n in notices if n.status == NoticeStatus.PENDING}
    if recipients:
        result.queued = list(
            Notice.objects.filter(day=day, key__in=keys, recipient__in=recipients, status=NoticeStatus.PENDING)
            .order_by("pk").values_list("pk", flat=True)
        )
        enqueue(result.queued)
    return result


def enqueue(notice_ids: Sequence[int]) -> None:
    """Hand notices to the Celery job.

    With a broker the job runs after the surrounding transaction commits (a worker must see the
    row); in the embedded, eager mode it runs now, in this process and transaction.
    """
    if not notice_ids:
        return
    ids = list(notice_ids)
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        for pk in ids:
            _deliver_job(pk).delay()
    else:
        transaction.on_commit(lambda: [_deliver_job(pk).delay() for pk in ids], robust=True)


# Sent by its registered name: notices/jobs.py imports this module, never the reverse.
JOB_DELIVER = "notices.jobs.deliver_notice"


def _deliver_job(notice_id: int) -> Any:
    from celery import current_app

    return current_app.signature(JOB_DELIVER, args=[notice_id])


# ---------------------------------------------------------------------------------------- delivery


def backoff_seconds(attempt: int) -> int:
    """Wait before retry round ``attempt + 1``: 1, 2, 4 … minutes (base NOTICE_RETRY_BASE_SECONDS), at most an hour."""
    return min(3600, settings.NOTICE_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))


def _title(notice: Notice) -> str:
    return Event(notice.event).label if notice.event in Event.values else "消息"


def _text(notice: Notice) -> str:
    if not notice.url:
        return notice.message
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{notice.message}\n{base}{notice.url}" if base else notice.message


def _target(notice: Notice) -> Target:
    if notice.to_robot:
        robot = UnitRobot.objects.filter(unit_id=notice.unit_id).first()
        return Target(robot_kind=robot.kind, robot_key=robot.key_name) if robot else Target()
    return selectors.contacts({notice.user_id}).get(notice.user_id, Target())


def deliver(notice_id: int) -> str:
    """One delivery round for a notice: try its channels in order until one succeeds.

    Returns ``"sent"``, ``"retry"`` (every channel failed; the job tries again after a
    backoff), ``"failed"`` (NOTICE_MAX_ATTEMPTS rounds used) or ``"skipped"`` (someone else
    holds or finished it). Every attempt leaves a :class:`Delivery` row with the provider's answer.
    """
    if Notice.objects.filter(pk=notice_id, status=NoticeStatus.PENDING).update(
        status=NoticeStatus.SENDING, attempts=F("attempts") + 1
    ) != 1:
        return "skipped"
    notice = Notice.objects.get(pk=notice_id)
    if not notice.plan:  # nothing outside to try (e.g. the office switched the route off): in-app is the delivery
        Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENT, channel="inapp", sent_at=timezone.now())
        return "sent"
    target = _target(notice)
    title, text = _title(notice), _text(notice)
    for channel in notice.plan:
        backend = BACKENDS.get(channel)
        if backend is None or not backend.available(target):
            result = Result(False, "渠道未配置或接收方无地址")
        else:
            try:
                result = backend.send(target, title, text)
            except Exception as exc:  # a dead port, a refused login: the provider's answer is the error
                result = Result(False, f"{type(exc).__name__}: {exc}"[:500])
        Delivery.objects.create(notice=notice, channel=channel, attempt=notice.attempts, ok=result.ok, answer=result.answer[:500])
        if result.ok:
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENT, channel=channel, sent_at=timezone.now())
            return "sent"
    if notice.attempts >= settings.NOTICE_MAX_ATTEMPTS:
        Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.FAILED)
        logger.warning("notice %s failed after %s rounds", notice.pk, notice.attempts)
        return "failed"
    Notice.objects.filter(pk=notice.pk).update(
        status=NoticeStatus.PENDING, not_before=timezone.now() + dt.timedelta(seconds=backoff_seconds(notice.attempts))
    )
    return "retry"


def release_due(*, now: dt.datetime | None = None) -> list[int]:
    """Deferred notices whose quiet hours ended, and pending ones whose retry is overdue (a lost
    Celery message), go to delivery. Run every few minutes by beat."""
    now = now or timezone.now()
    grace = now - dt.timedelta(seconds=settings.NOTICE_RETRY_BASE_SECONDS)
    due = (
        Q(status=NoticeStatus.DEFERRED, not_before__lte=now)
        | Q(status=NoticeStatus.PENDING, not_before__lte=grace)
        | Q(status=NoticeStatus.PENDING, not_before__isnull=True, created_at__lte=grace)
    )
    ids = list(Notice.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:1000])
    Notice.objects.filter(pk__in=ids, status=NoticeStatus.DEFERRED).update(status=NoticeStatus.PENDING)
    enqueue(ids)
    return ids


def notice_resend(*, notice_id: int) -> bool:
    """The office sends a failed notice again: a fresh set of delivery rounds (its past attempts stay on record)."""
    if Notice.objects.filter(pk=notice_id, status=NoticeStatus.FAILED).update(status=NoticeStatus.PENDING, attempts=0, not_before=None) != 1:
        return False
    enqueue([notice_id])
    return True


# ------------------------------------------------------------------------------------------ digest


def digests_send(*, now: dt.datetime | None = None) -> list[int]:
    """At each person's digest hour, one message with their day: what is due, overdue and new.

    The held notices of the person are folded into the digest (and marked sent through it); a
    digest is itself a Notice keyed ``digest`` per day, so a second run in the hour sends nothing.
    Returns the user ids that got a digest now.
    """
    now = timezone.localtime(now or timezone.now())
    day = now.date()
    prefs = Preference.objects.filter(digest=True, digest_hour__lte=now.hour, user__is_active=True)
    done = set(Notice.objects.filter(day=day, key="digest", event=Event.DIGEST).values_list("user_id", flat=True))
    sent: list[int] = []
    for pref in prefs.order_by("user_id"):
        if pref.user_id in done:
            continue
        digest = selectors.digest_for(user_id=pref.user_id, day=day)
        held = Notice.objects.filter(user_id=pref.user_id, status=NoticeStatus.HELD)
        if digest.empty and not held.exists():
            continue
        result = notify_many(
            [Item(event=Event.DIGEST, user_id=pref.user_id, key="digest", message=digest.text[:300],
                  url=f"{reverse('notices-digest')}?day={day:%Y-%m-%d}")],
            day=day, now=now, robot_keys=set(),
        )
        if result.new:
            held.update(status=NoticeStatus.SENT, channel="digest", sent_at=now)
            sent.append(pref.user_id)
    return sent


# -------------------------------------------------------------------------------------- escalation


def watch_overdue(*, subject: str, unit: Unit, since: dt.date, today: dt.date, message: str, url: str = "") -> OverdueWatch:
    """Note that ``subject`` is (still) overdue today; the first report fixes ``since``."""
    watch, created = OverdueWatch.objects.get_or_create(
        subject=subject[:100], defaults={"unit": unit, "since": since, "last_seen": today, "message": message[:300], "url": url[:300]}
    )
    if not created and watch.last_seen < today:
        OverdueWatch.objects.filter(pk=watch.pk).update(last_seen=today, message=message[:300])
    return watch


@dataclass(frozen=True)
class Watched:
    """One subject a daily job reports as (still) overdue, for :func:`watch_overdue_many`."""

    subject: str
    unit_id: int
    since: dt.date
    message: str
    url: str = ""


def watch_overdue_many(entries: Sequence[Watched], *, today: dt.date, batch: int = 500) -> None:
    """The batch form of :func:`watch_overdue` (a few queries per 500 subjects): new subjects are
    added with their ``since``; known ones are marked seen today (their ``since`` stays)."""
    for start in range(0, len(entries), batch):
        chunk = entries[start:start + batch]
        OverdueWatch.objects.bulk_create(
            [OverdueWatch(subject=e.subject[:100], unit_id=e.unit_id, since=e.since, last_seen=today,
                          message=e.message[:300], url=e.url[:300]) for e in chunk],
            ignore_conflicts=True,
        )
        OverdueWatch.objects.filter(subject__in=[e.subject[:100] for e in chunk], last_seen__lt=today).update(last_seen=today)


@dataclass(frozen=True)
class EscalationStep:
    watch_id: int
    step: int
    recipients: int


def escalations_run(*, today: dt.date, calendar: WorkCalendar | None = None) -> list[EscalationStep]:
    """Escalate what stays overdue, each step once.

    Step 1, after NOTICE_ESCALATE_LEADER_DAYS working days overdue: the unit's 责任领导 (the
    leader set in the unit's push settings). Step 2, after NOTICE_ESCALATE_OFFICE_DAYS: the
    office (创建办管理员) and the leaders. Only subjects the daily jobs still report as overdue
    (``last_seen`` today) escalate; a finished task drops out by itself.

    Step 2 waits for a run after the day of step 1, even when the subject is already past both
    thresholds (the first production run, or the watch of something long overdue starting late): the
    leader is given the chance to act before the office hears, as the two steps mean.
    """
    calendar = calendar or WorkCalendar.load()
    leader_days, office_days = settings.NOTICE_ESCALATE_LEADER_DAYS, settings.NOTICE_ESCALATE_OFFICE_DAYS
    office = selectors.office_ids(leaders=True)
    taken: list[EscalationStep] = []
    watches = OverdueWatch.objects.filter(last_seen=today).select_related("unit").order_by("pk")
    done = {(w, step): day for w, step, day in Escalation.objects.filter(watch__in=watches).values_list("watch_id", "step", "day")}
    robots = {r.unit_id: r for r in UnitRobot.objects.filter(unit_id__in=watches.values("unit_id"))}
    for watch in watches:
        # Working days overdue: those after the deadline (the day before ``since``) up to today.
        days = calendar.working_days_between(watch.since - dt.timedelta(days=1), today)
        for step, threshold in ((1, leader_days), (2, office_days)):
            if days < threshold or (watch.pk, step) in done:
                continue
            leader_heard = done.get((watch.pk, 1))
            if step == 2 and (leader_heard is None or leader_heard >= today):
                continue  # the leader first: the office hears on a later run
            if step == 1:
                robot = robots.get(watch.unit_id)
                users = [robot.leader_id] if robot and robot.leader_id else []
                who = "请责任领导督促"
            else:
                users = office
                who = "已升级至创建办和领导小组"
            with transaction.atomic():
                _row, created = Escalation.objects.get_or_create(watch=watch, step=step, defaults={"day": today, "recipients": len(users)})
                if not created:
                    continue
                notify(
                    event=Event.ESCALATION, users=users, key=f"escalate-{step}:{watch.subject}"[:100], unit=watch.unit,
                    url=watch.url, day=today,
                    message=f"【逾期{days}个工作日·{who}】{watch.message}"[:300],
                )
            taken.append(EscalationStep(watch.pk, step, len(users)))
    return taken


# ------------------------------------------------------------------------------------- preferences


def preference_save(*, user: Any, channels: list[str], mobile: str, quiet_start: dt.time | None, quiet_end: dt.time | None,
                    digest: bool, digest_hour: int) -> Preference:
    """Save a person's own push settings (the 消息设置 page). Turning the digest off sends what it held."""
    pref, _ = Preference.objects.update_or_create(
        user=user,
        defaults={
            "channels": [c for c in PERSONAL_CHANNELS if c in channels], "mobile": mobile.strip(),
            "quiet_start": quiet_start, "quiet_end": quiet_end, "digest": digest, "digest_hour": digest_hour,
        },
    )
    if not digest:
        held = list(Notice.objects.filter(user=user, status=NoticeStatus.HELD).values_list("pk", flat=True))
        Notice.objects.filter(pk__in=held).update(status=NoticeStatus.PENDING)
        enqueue(held)
    return pref
