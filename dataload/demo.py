"""Build the demo campaign (``manage.py load_demo``) from the facts in ``demo_data.py``.

It lives in ``dataload``, the top of the import order, because it needs every
app and nothing may import it.

**Adding your area's demo is one line.** Write ``dataload/demo_<area>.py`` with

- ``build(demo: Demo) -> None``: create your rows for ``demo.campaign`` (through
  your services, with names and numbers from the seeds); ``demo`` also carries
  the units, users (by username), indicators (by code), points, a seeded
  ``random.Random`` and ``log``;
- ``wipe(campaign: Campaign) -> None`` (optional): delete the rows ``build`` made
  (and their history and audit rows), so a second run gives the same result.

and append ``"dataload.demo_<area>"`` to :data:`PARTS`. Every part's ``wipe``
runs (last part first) before the core rows are wiped, so your rows go before
the indicators and units they point to; every ``build`` runs, in order, after
the core story (tasks, inspections, the published October) inside the same
transaction. ``tests/test_demo.py`` counts the rows of every app's models twice.

How it stays consistent with the rules: the shared rows (ranking groups, units,
point types, points, demo users) are kept by fixed keys (names, usernames);
everything that belongs to the demo campaign is wiped and rebuilt inside one
transaction, so running it twice leaves the same rows. The rebuild goes through
the services the pages use — ``tasks.services`` for progress, completion and
acceptance; ``inspections.services`` for inspections, checklists, findings
(points suggested by the campaign's DeductionRule: 0.3/0.2/0.1 by source level,
repeats 2/1/0.6 — a local example, the seed documents name no points), rectification rounds, 督办单, overdue penalties, bonuses and
问责; ``reports.services.period_publish`` to publish 2026年10月. Those services
stamp "now"; the story happens on fixed dates in October and November 2026, so
afterwards the demo moves a few timestamps (progress dates, rectification
submission and review, acceptance) back to the story's dates with plain updates.
Overdue penalties are applied after that, as the daily job would on 2026-11-29.

Wiping also removes the demo's history rows and the audit rows written by the
demo users, so a reset demo starts with a clean trail.
"""
from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from campaign.models import (
    AssessmentPeriod,
    AuditLog,
    Campaign,
    DeductionRule,
    Indicator,
    InspectionPoint,
    Membership,
    Notification,
    PeriodEvent,
    PeriodStatus,
    Phase,
    PointType,
    RankingGroup,
    Role,
    SpecialAction,
    Unit,
)
from inspections import lifecycle
from inspections import services as inspection_services
from inspections.models import (
    Accountability,
    AccountabilityKind,
    Appeal,
    AppealEvidence,
    AppealStatus,
    Bonus,
    Check,
    CheckResult,
    Correction,
    Finding,
    FindingPhoto,
    FindingStatus,
    Inspection,
    InspectionKind,
    OrderCounter,
    OverduePenalty,
    Rectification,
    RectificationPhoto,
    SupervisionOrder,
)
from reports import services as report_services
from reports.models import PublishedFigures, ReportJob, ScoreLineSnapshot, UnitMonthScore
from tasks import services as task_services
from tasks.models import Evidence, ProgressEntry, Task, TaskCategory, TaskStatus

from . import demo_data as data

DEMO_TODAY = dt.date(2026, 11, 29)
TZ = ZoneInfo("Asia/Shanghai")
SEED = 20261129

Log = Callable[[str], None]


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


# ------------------------------------------------------------------ photos

_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def demo_photo(label: str, *, colour: tuple[int, int, int], name: str = "photo.jpg") -> SimpleUploadedFile:
    """A small JPEG standing in for a field photo, captioned so it reads as one."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (480, 320), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 200, 460, 300), fill=(240, 240, 240))
    draw.rectangle((60, 60, 200, 180), outline=(255, 255, 255), width=4)
    try:
        font = ImageFont.truetype(_FONT_PATH, 22)
    except OSError:  # No CJK font on this machine: the caption is not essential.
        font = ImageFont.load_default()
    draw.text((30, 215), label[:40], fill=(20, 20, 20), font=font)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


# ------------------------------------------------------------------ shared rows (kept by key)


def _groups() -> dict[str, RankingGroup]:
    groups = {}
    for name, order in data.GROUPS:
        group, _ = RankingGroup.objects.update_or_create(name=name, defaults={"order": order})
        groups[name] = group
    return groups


def _units(groups: dict[str, RankingGroup]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for order, (name, short, parent, unit_type, group) in enumerate(data.UNITS):
        wanted = {
            "short_name": short, "parent": units[parent] if parent else None, "unit_type": unit_type,
            "ranking_group": groups[group] if group else None, "order": order, "is_active": True,
        }
        unit = Unit.objects.filter(name=name).first()
        if unit is None:
            unit = Unit.objects.create(name=name, **wanted)
        elif any(getattr(unit, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(unit, key, value)
            unit.save()  # save() keeps the materialised path of the subtree right
        units[name] = unit
    return units


def _points(units: dict[str, Unit]) -> tuple[dict[str, PointType], list[InspectionPoint]]:
    types = {}
    for order, name in enumerate(data.POINT_TYPES, start=1):
        types[name], _ = PointType.objects.update_or_create(name=name, defaults={"order": order})
    rows = [(f"{road}", "主次干道", f"{road}全线", unit) for road, unit in data.ROADS] + list(data.POINTS)
    points = []
    for name, type_name, address, unit_name in rows:
        latitude, longitude = data.point_coordinates(name, unit_name)
        point, _ = InspectionPoint.objects.update_or_create(
            name=name, defaults={
                "point_type": types[type_name], "address": address, "unit": units[unit_name], "is_active": True,
                "latitude": Decimal(latitude), "longitude": Decimal(longitude),
            },
        )
        points.append(point)
    return types, points


def _users(units: dict[str, Unit]) -> dict[str, Any]:
    User = get_user_model()
    users = {}
    for username, display, unit_name, role, title in data.USERS:
        user, _ = User.objects.get_or_create(username=username)
        # Change only what differs: every change of a password or membership is audited.
        wanted = {"first_name": display, "is_active": True, "is_staff": role == "admin", "is_superuser": role == "admin"}
        changed = [key for key, value in wanted.items() if getattr(user, key) != value]
        for key in changed:
            setattr(user, key, wanted[key])  # the office's admin also runs the Django admin
        if not user.check_password(data.DEMO_PASSWORD):
            user.set_password(data.DEMO_PASSWORD)
            changed.append("password")
        if changed:
            user.save()
        Membership.objects.filter(user=user).exclude(unit=units[unit_name], role=role).delete()
        membership, _ = Membership.objects.get_or_create(user=user, unit=units[unit_name], role=role, defaults={"title": title})
        if membership.title != title:
            membership.title = title
            membership.save(update_fields=["title"])
        users[username] = user
    return users


# ------------------------------------------------------------------ the campaign (wiped and rebuilt)


def _campaign() -> Campaign:
    fields = dict(data.CAMPAIGN)
    slug = fields.pop("slug")
    campaign, _ = Campaign.objects.update_or_create(slug=slug, defaults={**fields, "is_active": True})
    for level, base, repeat, overdue in data.DEDUCTION_RULES:
        DeductionRule.objects.update_or_create(
            campaign=campaign, source_level=level,
            defaults={"base_points": Decimal(base), "repeat_points": Decimal(repeat), "overdue_points": Decimal(overdue)},
        )
    return campaign


def _history(model: type) -> Any:
    return model.history.model.objects


def wipe(campaign: Campaign, *, admin: Any, demo_user_ids: list[int]) -> None:
    """Delete everything that belongs to ``campaign`` (children before parents), its history and files."""
    # Latest first: a month is revoked only while no later month is published.
    for period in AssessmentPeriod.objects.filter(campaign=campaign, status=PeriodStatus.PUBLISHED).order_by("-month"):
        # Through the service: on PostgreSQL a published month may only reopen after a recorded revocation.
        report_services.period_revoke(campaign=campaign, month=period.month, actor=admin, reason="重建演示数据")
    files: list[Any] = []
    periods = AssessmentPeriod.objects.filter(campaign=campaign)
    ScoreLineSnapshot.objects.filter(score__period__in=periods).delete()
    UnitMonthScore.objects.filter(period__in=periods).delete()
    jobs = ReportJob.objects.filter(campaign=campaign)
    files += [job.file for job in jobs if job.file]
    jobs.delete()
    PublishedFigures.objects.filter(period__in=periods).delete()
    PeriodEvent.objects.filter(period__in=periods).delete()
    periods.delete()

    findings = Finding.objects.filter(campaign=campaign)
    finding_ids = list(findings.values_list("pk", flat=True))
    penalty_ids = [str(pk) for pk in OverduePenalty.objects.filter(campaign=campaign).values_list("pk", flat=True)]
    Accountability.objects.filter(campaign=campaign).delete()
    Bonus.objects.filter(campaign=campaign).delete()
    appeal_evidence = AppealEvidence.objects.filter(appeal__campaign=campaign)
    files += [row.file for row in appeal_evidence]
    appeal_evidence.delete()
    appeal_ids = list(Appeal.objects.filter(campaign=campaign).values_list("pk", flat=True))
    Appeal.objects.filter(campaign=campaign).delete()
    Correction.objects.filter(campaign=campaign).delete()
    OverduePenalty.objects.filter(campaign=campaign).delete()
    for model, lookup in ((RectificationPhoto, "rectification__finding__in"), (FindingPhoto, "finding__in")):
        rows = model.objects.filter(**{lookup: findings})
        files += [row.file for row in rows]
        rows.delete()
    Rectification.objects.filter(finding__in=findings).delete()
    orders = SupervisionOrder.objects.filter(campaign=campaign)
    order_years = set(orders.values_list("year", flat=True))
    order_ids = [str(pk) for pk in orders.values_list("pk", flat=True)]
    orders.delete()
    Check.objects.filter(inspection__campaign=campaign).delete()
    findings.delete()
    Inspection.objects.filter(campaign=campaign).delete()
    for year in order_years:
        # Give the numbers back so a rebuilt demo issues 督办〔2026〕1号 again.
        last = SupervisionOrder.objects.filter(year=year).order_by("-number").values_list("number", flat=True).first() or 0
        OrderCounter.objects.filter(year=year).update(last_number=last)

    tasks = Task.objects.filter(campaign=campaign)
    task_ids = list(tasks.values_list("pk", flat=True))
    evidence = Evidence.objects.filter(entry__task__in=tasks)
    files += [row.file for row in evidence]
    evidence.delete()
    ProgressEntry.objects.filter(task__in=tasks).delete()
    tasks.delete()
    SpecialAction.objects.filter(campaign=campaign).delete()
    Phase.objects.filter(campaign=campaign).delete()
    for level in (3, 2, 1):
        Indicator.objects.filter(campaign=campaign, level=level).delete()

    _history(Task).filter(campaign_id=campaign.pk).delete()
    _history(ProgressEntry).filter(task_id__in=task_ids).delete()
    _history(Finding).filter(campaign_id=campaign.pk).delete()
    _history(Rectification).filter(finding_id__in=finding_ids).delete()
    _history(Bonus).filter(campaign_id=campaign.pk).delete()
    _history(Appeal).filter(id__in=appeal_ids).delete()
    AuditLog.objects.filter(actor_id__in=demo_user_ids).delete()
    AuditLog.objects.filter(object_type="inspections.OverduePenalty", object_id__in=penalty_ids).delete()
    AuditLog.objects.filter(object_type="inspections.SupervisionOrder", object_id__in=order_ids).delete()  # system rows
    Notification.objects.filter(user_id__in=demo_user_ids).delete()

    # Files go only once the rows are surely gone.
    transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files if f.name])


def _phases_actions(campaign: Campaign, units: dict[str, Unit]) -> tuple[list[Phase], list[SpecialAction]]:
    phases = [
        Phase.objects.create(campaign=campaign, name=name, start_date=start, end_date=end, goals=goals, order=i)
        for i, (name, start, end, goals) in enumerate(data.PHASES, start=1)
    ]
    actions = [
        # Lead offices only where 篇四 names one (None for the other five actions).
        SpecialAction.objects.create(campaign=campaign, name=name, lead_unit=units[lead] if lead else None, description=text, order=i)
        for i, (name, lead, text) in enumerate(data.ACTIONS, start=1)
    ]
    return phases, actions


def _indicators(campaign: Campaign, units: dict[str, Unit], types: dict[str, PointType]) -> dict[str, Indicator]:
    """The three-level tree; every parent's score is the sum of its children's."""
    by_code: dict[str, Indicator] = {}
    order = 0
    for code1, name1, items in data.INDICATORS:
        order += 1
        top = Indicator.objects.create(campaign=campaign, level=1, code=code1, name=name1, order=order)
        by_code[code1] = top
        top_score = Decimal("0")
        for code2, name2, leaves in items:
            order += 1
            mid = Indicator.objects.create(campaign=campaign, level=2, code=code2, name=name2, parent=top, order=order)
            by_code[code2] = mid
            mid_score = Decimal("0")
            for code3, name3, score, standard, method, point_types, unit_types, lead in leaves:
                order += 1
                leaf = Indicator.objects.create(
                    campaign=campaign, level=3, code=code3, name=name3, parent=mid, score=Decimal(score),
                    standard_text=standard, method=method, applicable_unit_types=unit_types, lead_unit=units[lead], order=order,
                )
                leaf.point_types.set([types[t] for t in point_types])
                by_code[code3] = leaf
                mid_score += leaf.score
            mid.score = mid_score
            mid.save(update_fields=["score"])
            top_score += mid_score
        top.score = top_score
        top.save(update_fields=["score"])
    return by_code


# ------------------------------------------------------------------ tasks


def _task_rows(units: dict[str, Unit]) -> list[tuple[Unit, tuple]]:
    rows: list[tuple[Unit, tuple]] = []
    for name, _short, _parent, unit_type, _group in data.UNITS:
        if unit_type in ("street", "township"):
            rows += [(units[name], t) for t in data.STREET_TASKS]
        elif unit_type in ("community", "village"):
            rows += [(units[name], t) for t in data.COMMUNITY_TASKS]
        elif name in data.DEPARTMENT_TASKS:
            rows += [(units[name], t) for t in data.DEPARTMENT_TASKS[name]]
        elif unit_type in ("hospital", "school") or name == "市政务服务中心":
            rows += [(units[name], t) for t in data.WINDOW_TASKS]
    return rows


def _progress_text(title: str, step: int, value: Decimal | None, target_unit: str) -> str:
    done = f"，本次完成{value.normalize():f}{target_unit}" if value is not None else ""
    texts = ["已召开专题会议部署，明确分管领导和具体责任人", "按计划推进，已完成阶段性工作", "对照标准自查整改，完善台账资料"]
    return f"{title}：{texts[step % len(texts)]}{done}。"


def _official_for(unit: Unit, users: dict[str, Any], admin: Any) -> Any:
    """The liaison officer who answers for ``unit`` (a street's officer also answers for its communities)."""
    for username, _display, unit_name, role, _title in data.USERS:
        if role == "official" and unit.path.startswith(_unit_path(unit_name)):
            return users[username]
    return admin


_PATHS: dict[str, str] = {}


def _unit_path(name: str) -> str:
    if name not in _PATHS:
        _PATHS[name] = Unit.objects.get(name=name).path
    return _PATHS[name]


def _tasks(campaign, units, users, indicators, phases, actions, rng: random.Random, log: Log) -> list[Task]:
    admin = users["chuangjianban"]
    created: list[Task] = []
    short_titles: set[str] = set()  # one task per title in SHORTFALL_REASONS is completed below target
    photo = demo_photo("工作进展佐证", colour=(70, 130, 90), name="进展照片.jpg")
    for number, (unit, (title, code, action, phase, standard, deadline, deadline_text, target)) in enumerate(_task_rows(units), 1):
        leader, person = data.LEADERS.get(unit.name, ("", ""))
        indicator = indicators[code] if code else None
        task = Task.objects.create(
            campaign=campaign, code=f"{number:03d}", title=title, indicator=indicator,
            category=TaskCategory.WORK if code or action is not None else TaskCategory.ORGANISATION,
            special_action=actions[action] if action is not None else None, phase=phases[phase], unit=unit,
            leader_name=leader, person_name=person, standard=standard, deadline=deadline, deadline_text=deadline_text,
            is_ongoing=deadline is None,
            # The templates' targets are 芦洲乡's own totals; other units' are scaled to their size.
            target_value=Decimal(data.scaled_target(unit.name, title, target[0])) if target else None,
            target_unit=target[1] if target else "",
            target_aggregation=target[2] if target else "sum",
        )
        lead = indicator.lead_unit if indicator is not None else None
        if lead is not None and lead != unit:
            task.co_units.add(lead)
        created.append(task)

        # Where the task stands on 2026-11-29: past deadlines are mostly done, some overdue.
        author = _official_for(unit, users, admin)
        past = deadline is not None and deadline < DEMO_TODAY
        roll = rng.random()
        if past:
            state = "accepted" if roll < 0.35 else "completed" if roll < 0.75 else "late" if roll < 0.82 else "overdue"
            if state == "overdue" and deadline < dt.date(2026, 9, 1):
                state = "late"  # a spring task is not still open in November: it was done, late
        else:
            state = "completed" if roll < 0.15 else "in_progress" if roll < 0.7 else "not_started"
        if state == "not_started":
            continue
        done = state in ("completed", "accepted", "late")
        # Done tasks reach their target, except one per title in SHORTFALL_REASONS (目标未达, with a reason).
        short = done and target is not None and title in data.SHORTFALL_REASONS and title not in short_titles
        if short:
            short_titles.add(title)
        steps = 1 if state == "in_progress" and roll > 0.5 else 2 if target is None else 3
        end = min(deadline or DEMO_TODAY, DEMO_TODAY - dt.timedelta(days=1))
        start = max(phases[phase].start_date, dt.date(2026, 5, 1))
        if state == "late":
            end = min((deadline or end) + dt.timedelta(days=rng.randint(3, 20)), DEMO_TODAY - dt.timedelta(days=1))
        days = max((end - start).days, steps)
        total = Decimal("0")
        goal = None
        if target is not None:
            goal = task.target_value if not short else (task.target_value * Decimal("0.8")).quantize(Decimal("1"))
        for step in range(steps):
            value = None
            if target is not None:
                if target[2] == "latest":
                    reached = (goal * (step + 1) / steps).quantize(Decimal("0.1"))
                    value = reached if done else (reached / 2).quantize(Decimal("0.1"))
                elif done and step == steps - 1:
                    value = max(goal - total, Decimal("1"))  # the last entry brings the sum to the goal
                else:
                    share = Decimal(1) / steps if done else Decimal("0.25")
                    value = (task.target_value * share).quantize(Decimal("1")) or Decimal("1")
                total += value
            files = [photo] if number % 4 == 0 and step == 0 else []
            if files:
                photo.seek(0)
            entry, _ = task_services.progress_add(
                task=task, author=author, text=_progress_text(title, step, value, task.target_unit), value=value, files=files,
            )
            day = start + dt.timedelta(days=days * (step + 1) // (steps + 1))
            ProgressEntry.objects.filter(pk=entry.pk).update(created_at=at(day, 9 + step))
        if done:
            reason = data.SHORTFALL_REASONS[title] if short else ""
            task_services.task_complete(task=task, user=author, today=end, reason=reason)
            if state == "accepted" or (state == "late" and roll < 0.79):
                task_services.task_accept(task=task, user=admin)
                Task.objects.filter(pk=task.pk).update(accepted_at=at(min(end + dt.timedelta(days=3), DEMO_TODAY), 15))
    log(f"责任分解任务 {len(created)} 项")
    return created


# ------------------------------------------------------------------ inspections


INSPECTIONS = [
    # date, kind, source level, title, action index, number of findings
    (dt.date(2026, 10, 12), InspectionKind.ON_SITE, "city", "10月份创建全国文明城市现场考核", None, 14),
    (dt.date(2026, 10, 15), InspectionKind.PATROL, "district", "10月中旬城区日常巡查", None, 6),
    (dt.date(2026, 10, 20), InspectionKind.SUPERVISION, "department", "市容秩序专项督查", 1, 8),
    (dt.date(2026, 10, 27), InspectionKind.SPOT_CHECK, "city", "10月下旬暗访抽查", None, 6),
    (dt.date(2026, 11, 10), InspectionKind.ON_SITE, "city", "11月份创建全国文明城市现场考核（清单检查）", None, 0),
    (dt.date(2026, 11, 18), InspectionKind.SUPERVISION, "department", "违法建设专项督查", 6, 5),
    (dt.date(2026, 11, 24), InspectionKind.SPOT_CHECK, "city", "11月下旬暗访抽查", None, 6),
    (dt.date(2026, 11, 26), InspectionKind.PATROL, "district", "11月下旬城区日常巡查", None, 4),
]


def _field_pairs(points: list[InspectionPoint], indicators: dict[str, Indicator]) -> list[tuple[InspectionPoint, Indicator]]:
    """Every (point, standard) an inspector could mark: the standard applies to the point's type and unit type."""
    leaves = [leaf for leaf in indicators.values() if leaf.level == 3 and leaf.code in data.PROBLEMS]
    types_of = {leaf.pk: {t.pk for t in leaf.point_types.all()} for leaf in leaves}
    return [
        (point, leaf) for point in points for leaf in leaves
        if point.point_type_id in types_of[leaf.pk] and leaf.applies_to(point.unit.unit_type)
    ]


def _inspections(campaign, users, points, indicators, actions, rng: random.Random, log: Log) -> list[Finding]:
    ducha = users["ducha"]
    pairs = _field_pairs(points, indicators)
    findings: list[Finding] = []
    for date, kind, level, title, action, count in INSPECTIONS:
        inspection = inspection_services.inspection_create(
            creator=ducha, campaign=campaign, kind=kind, source_level=level, date=date, title=title,
            scope="城区主次干道、背街小巷、农贸市场、居民小区、学校周边等点位", special_action=actions[action] if action is not None else None,
        )
        Inspection.objects.filter(pk=inspection.pk).update(created_at=at(date, 17))
        if count == 0:
            findings += _checklist_round(inspection, ducha, points, indicators, rng)
            continue
        made = 0
        for point, leaf in rng.sample(pairs, len(pairs)):
            if made == count:
                break
            if action == 6 and leaf.code not in ("2.3.1",) and made < 3:
                continue  # the 违法建设 supervision looks for illegal building first
            problem = rng.choice(data.PROBLEMS[leaf.code])
            photo = demo_photo(f"{point.name} {problem}", colour=(150, 90, 60), name="现场照片.jpg")
            try:
                finding = inspection_services.finding_create(
                    inspector=ducha, inspection=inspection, indicator=leaf, point=point,
                    description=f"{point.name}：{problem}", photos=[photo],
                )
            except ValidationError:
                continue  # over the indicator's monthly cap for this unit: an inspector would not log it either
            # Recorded on the inspection's day, a quarter of an hour apart from 9:00 (the field's
            # auto_now_add would say when the demo was loaded: the inspector's 最近检查的点位 shows it).
            Finding.objects.filter(pk=finding.pk).update(created_at=at(date, 9) + dt.timedelta(minutes=15 * made))
            findings.append(finding)
            made += 1
    # A repeat on purpose: the patrol of 11-26 finds an earlier problem again within the 30-day window,
    # which the rule charges at the repeat rate (1.00 for a district-level patrol).
    patrol = Inspection.objects.get(campaign=campaign, date=dt.date(2026, 11, 26))
    window = patrol.date - dt.timedelta(days=campaign.repeat_window_days)
    for earlier in sorted((f for f in findings if window <= f.found_on < patrol.date and f.point_id), key=lambda f: f.pk):
        try:
            again = inspection_services.finding_create(
                inspector=ducha, inspection=patrol, indicator=earlier.indicator, point=earlier.point,
                description=f"{earlier.description}（同一问题再次发现）",
                photos=[demo_photo("同一问题再次发现", colour=(160, 60, 60))],
            )
            Finding.objects.filter(pk=again.pk).update(created_at=at(patrol.date, 15, 30))
            findings.append(again)
            break
        except ValidationError:
            continue
    log(f"检查 {len(INSPECTIONS)} 次，问题 {len(findings)} 个")
    return findings


def _checklist_round(inspection, inspector, points, indicators, rng: random.Random) -> list[Finding]:
    """Checklist rounds at a dozen points: most standards pass, a few fail and become findings."""
    findings: list[Finding] = []
    chosen = [p for p in points if p.point_type.name in ("主次干道", "农贸市场", "居民小区", "学校周边", "公园广场")]
    for point in rng.sample(chosen, 12):
        leaves = [leaf for leaf in point.point_type.indicators.all() if leaf.campaign_id == inspection.campaign_id]
        items = []
        for leaf in sorted(leaves, key=lambda x: x.code):
            if not leaf.applies_to(point.unit.unit_type):
                result = CheckResult.NA
            else:
                roll = rng.random()
                result = CheckResult.FAIL if roll < 0.12 and leaf.code in data.PROBLEMS else CheckResult.NA if roll > 0.95 else CheckResult.PASS
            description = f"{point.name}：{rng.choice(data.PROBLEMS[leaf.code])}" if result == CheckResult.FAIL else ""
            items.append(inspection_services.ChecklistItem(indicator=leaf, result=result, description=description))
        try:
            checks = inspection_services.checklist_record(inspector=inspector, inspection=inspection, point=point, items=items)
        except ValidationError:
            # A failed item would pass the unit's cap for that standard: record the round as passed there.
            for item in items:
                if item.result == CheckResult.FAIL:
                    item.result, item.description = CheckResult.PASS, ""
            checks = inspection_services.checklist_record(inspector=inspector, inspection=inspection, point=point, items=items)
        Check.objects.filter(pk__in=[c.pk for c in checks]).update(checked_at=at(inspection.date, 11))
        Finding.objects.filter(pk__in=[c.finding_id for c in checks if c.finding_id]).update(created_at=at(inspection.date, 11))
        findings += [c.finding for c in checks if c.finding_id]
    return findings


def _rectifications(findings: list[Finding], users, rng: random.Random, log: Log) -> None:
    """Units answer; the inspector accepts or returns. Timestamps follow the story, then penalties apply."""
    ducha, admin = users["ducha"], users["chuangjianban"]
    before = demo_photo("整改前", colour=(150, 90, 60), name="整改前.jpg")
    after = demo_photo("整改后", colour=(60, 130, 160), name="整改后.jpg")
    counts = {"accepted": 0, "returned": 0, "pending": 0, "open": 0}
    for finding in findings:
        official = _official_for(finding.unit, users, admin)
        roll = rng.random()
        deadline = finding.rectify_deadline
        october = finding.month.month == 10
        if roll < (0.08 if october else 0.2):
            counts["open"] += 1
            continue
        submit_day = finding.found_on + dt.timedelta(days=rng.randint(1, 4))
        if roll > (0.9 if october else 0.95):
            submit_day = deadline + dt.timedelta(days=rng.randint(2, 8))  # answered late
        if submit_day >= DEMO_TODAY:
            counts["open"] += 1
            continue
        for photo in (before, after):
            photo.seek(0)
        rect = inspection_services.rectification_submit(
            official=official, finding=finding, description="已组织人员清理整改，落实长效管理措施，整改前后照片附后。",
            before_photos=[before], after_photos=[after], at=at(submit_day, 16),
        )
        Rectification.objects.filter(pk=rect.pk).update(submitted_at=at(submit_day, 16))
        review_day = submit_day + dt.timedelta(days=1)
        if review_day >= DEMO_TODAY:
            counts["pending"] += 1
            continue
        if 0.08 <= roll < 0.18:
            inspection_services.rectification_review(
                reviewer=ducha, rectification=rect, accept=False, comment="整改后照片未反映点位全貌，请补充后重新提交。",
                at=at(review_day, 11),
            )
            Rectification.objects.filter(pk=rect.pk).update(reviewed_at=at(review_day, 11))
            counts["returned"] += 1
            if not october:
                continue
            # October's returned rounds were answered again and accepted.
            for photo in (before, after):
                photo.seek(0)
            finding.refresh_from_db()
            submit_day = review_day + dt.timedelta(days=2)
            again = inspection_services.rectification_submit(
                official=official, finding=finding, description="已按要求补充整改后全景照片，问题已彻底整改。",
                before_photos=[before], after_photos=[after], at=at(submit_day, 16),
            )
            Rectification.objects.filter(pk=again.pk).update(submitted_at=at(submit_day, 16))
            rect, review_day = again, submit_day + dt.timedelta(days=1)
        if not october and roll > 0.8:
            counts["pending"] += 1
            continue
        inspection_services.rectification_review(reviewer=ducha, rectification=rect, accept=True, comment="整改到位，同意销号。",
                                                 at=at(review_day, 11))
        Rectification.objects.filter(pk=rect.pk).update(reviewed_at=at(review_day, 11))
        Finding.objects.filter(pk=finding.pk).update(accepted_at=at(review_day, 11))
        counts["accepted"] += 1
    log("整改：已销号 {accepted}，退回 {returned}，待验收 {pending}，未整改 {open}".format(**counts))


def _orders(findings: list[Finding], users, log: Log) -> None:
    """督办单 for the October problems still open at the start of November."""
    ducha = users["ducha"]
    by_unit: dict[int, list[Finding]] = {}
    for finding in Finding.objects.filter(pk__in=[f.pk for f in findings], month=dt.date(2026, 10, 1)).exclude(
        status=FindingStatus.ACCEPTED
    ).select_related("unit"):
        by_unit.setdefault(finding.unit_id, []).append(finding)
    issued = 0
    for day, unit_findings in zip((dt.date(2026, 11, 3), dt.date(2026, 11, 5), dt.date(2026, 11, 9)), by_unit.values()):
        unit = unit_findings[0].unit
        order = inspection_services.order_issue(
            issuer=ducha, unit=unit, findings=unit_findings, deadline=day + dt.timedelta(days=7), issued_on=day,
            requirements=f"{unit.name}：以下问题逾期未整改到位，请于限期内整改完毕并报送整改情况，逾期将按规定追加扣分并予以通报。",
        )
        SupervisionOrder.objects.filter(pk=order.pk).update(issued_at=at(day, 9))
        issued += 1
    # November: the unit with most problems still open near the month's end gets one too.
    open_nov: dict[int, list[Finding]] = {}
    for finding in Finding.objects.filter(pk__in=[f.pk for f in findings], month=dt.date(2026, 11, 1),
                                          status__in=[FindingStatus.OPEN, FindingStatus.RETURNED]).select_related("unit"):
        open_nov.setdefault(finding.unit_id, []).append(finding)
    if open_nov:
        unit_findings = max(open_nov.values(), key=lambda fs: (len(fs), -fs[0].unit_id))
        day = dt.date(2026, 11, 27)
        order = inspection_services.order_issue(
            issuer=ducha, unit=unit_findings[0].unit, findings=unit_findings, deadline=dt.date(2026, 12, 4), issued_on=day,
            requirements="11月份检查发现的问题尚未整改，请立即组织整改，12月4日前报送整改情况。",
        )
        SupervisionOrder.objects.filter(pk=order.pk).update(issued_at=at(day, 9))
        issued += 1
    log(f"督办单 {issued} 份")


def _order_story(campaign, users, log: Log) -> None:
    """督办〔2026〕1号 is answered and closed (已办结); the other October orders stay unanswered past their
    deadline (逾期) and notify the unit, the office and the leaders once."""
    ducha = users["ducha"]
    orders = list(SupervisionOrder.objects.filter(campaign=campaign).prefetch_related("findings").order_by("year", "number"))
    if not orders:
        return
    first = orders[0]
    issued = timezone.localtime(first.issued_at).date()
    after = demo_photo("整改后", colour=(60, 130, 160), name="整改后.jpg")
    for finding in first.findings.select_related("unit"):
        if finding.status in (FindingStatus.OPEN, FindingStatus.RETURNED):
            after.seek(0)
            submit_day = issued + dt.timedelta(days=2)
            rect = inspection_services.rectification_submit(
                official=_official_for(finding.unit, users, users["chuangjianban"]), finding=finding,
                description=f"按{first.label}要求已整改到位：清理现场并落实专人巡查，整改后照片附后。",
                after_photos=[after], at=at(submit_day, 16),
            )
        else:
            rect = finding.rectifications.filter(status="pending").first()
            if rect is None:
                continue
            submit_day = timezone.localtime(rect.submitted_at).date()
        review_day = max(issued + dt.timedelta(days=3), submit_day + dt.timedelta(days=1))
        inspection_services.rectification_review(reviewer=ducha, rectification=rect, accept=True, comment="督办问题整改到位，同意销号。",
                                                 at=at(review_day, 10))
    notified = inspection_services.orders_overdue_notify(today=DEMO_TODAY)
    orders = list(SupervisionOrder.objects.filter(campaign=campaign).prefetch_related("findings").order_by("year", "number"))
    states = [lifecycle.order_state_label(lifecycle.order_state(o.findings.all(), DEMO_TODAY)) for o in orders]
    log(f"督办单状态：{'、'.join(f'{o.label}{s}' for o, s in zip(orders, states))}；逾期提醒 {len(notified)} 份")


def _appeal(finding: Finding, users, *, reason: str, day: dt.date, evidence: str) -> Appeal:
    official = Membership.objects.filter(
        role=Role.OFFICIAL, unit=finding.unit, user__in=[u.pk for u in users.values()]
    ).select_related("user").first().user
    appeal = inspection_services.appeal_submit(
        official=official, finding=finding, reason=reason, today=day, at=at(day, 10),
        evidence=[demo_photo(evidence, colour=(120, 120, 90), name=f"{evidence}.jpg")],
    )
    return appeal


def _decide(appeal: Appeal, users, *, outcome: str, reason: str, day: dt.date, new_points: str | None = None) -> None:
    inspection_services.appeal_decide(actor=users["chuangjianban"], appeal=appeal, outcome=outcome, reason=reason,
                                      new_points=new_points, today=day)
    Appeal.objects.filter(pk=appeal.pk).update(decided_at=at(day, 15))
    Finding.objects.filter(pk=appeal.finding_id, withdrawn_at__isnull=False).update(withdrawn_at=at(day, 15))


def _appeal_finding(campaign, units, month: dt.date, names: tuple[str, ...], *, min_points: str = "0.01",
                    before: dt.date | None = None, latest: bool = False) -> Finding | None:
    """A finding of the first unit in ``names`` that has one (officials of these units are demo accounts)."""
    for name in names:
        qs = Finding.objects.filter(campaign=campaign, month=month, unit=units[name], points__gte=Decimal(min_points),
                                    appeal__isnull=True).exclude(status=FindingStatus.WITHDRAWN)
        if before is not None:
            qs = qs.filter(found_on__lt=before)
        found = qs.select_related("unit", "campaign", "indicator").order_by(*(("-found_on", "-pk") if latest else ("found_on", "pk"))).first()
        if found is not None:
            return found
    return None


def _appeals_october(campaign, units, users, log: Log) -> Appeal | None:
    """Before October is published: one appeal upheld (维持), one still open (decided after publication)."""
    upheld = _appeal_finding(campaign, units, dt.date(2026, 10, 1), ("口岸街道", "城西街道", "城北街道"))
    if upheld is not None:
        appeal = _appeal(upheld, users, day=upheld.found_on + dt.timedelta(days=1), evidence="现场说明",
                         reason="检查当日该路段正在进行管线施工，垃圾为施工单位临时堆放，已协调清运，申请撤销扣分。")
        _decide(appeal, users, outcome=AppealStatus.UPHELD, day=upheld.found_on + dt.timedelta(days=3),
                reason="经复核，临时堆放未设置围挡和警示，属于责任单位日常管理问题，维持扣分。")
    rescored = _appeal_finding(campaign, units, dt.date(2026, 10, 1), ("坡子街街道", "芦洲乡", "杨源乡"), min_points="0.20")
    if rescored is None:
        return None
    appeal = _appeal(rescored, users, day=rescored.found_on + dt.timedelta(days=1), evidence="整改台账",
                     reason="问题发现当日已完成大部分整改，仅剩少量残留，扣分偏重，申请减轻扣分。")
    log("申诉：10月维持 1 条，10月待裁定 1 条（发布时确认）")
    return appeal


def _appeals_november(campaign, units, users, october_open: Appeal | None, log: Log) -> None:
    """After October's publication: the open October appeal is re-scored (a correction in November);
    a November finding is revoked (撤销) and another appeal waits for the office (listed in the preview)."""
    if october_open is not None:
        _decide(october_open, users, outcome=AppealStatus.RESCORED, new_points="0.10", day=dt.date(2026, 11, 10),
                reason="经复核，现场问题已部分整改，按轻微问题改为扣 0.10 分；10月已发布，按更正记录计入11月。")
    revoked = _appeal_finding(campaign, units, dt.date(2026, 11, 1), ("城西街道", "口岸街道", "城北街道"), before=dt.date(2026, 11, 20))
    if revoked is not None:
        appeal = _appeal(revoked, users, day=revoked.found_on + dt.timedelta(days=1), evidence="包保责任图",
                         reason="该点位位于辖区分界处，按包保责任图属于相邻单位，申请撤销。")
        _decide(appeal, users, outcome=AppealStatus.REVOKED, day=revoked.found_on + dt.timedelta(days=3),
                reason="经核对包保责任图，该点位不属于本单位包保范围，撤销扣分。")
    pending = _appeal_finding(campaign, units, dt.date(2026, 11, 1), ("城北街道", "南坝乡", "杨源乡"), latest=True)
    if pending is not None:
        _appeal(pending, users, day=min(pending.found_on + dt.timedelta(days=1), DEMO_TODAY), evidence="整改照片",
                reason="检查时问题已在整改中，照片为整改过程中拍摄，申请复核。")
    log("申诉：10月改分 1 条（11月更正），11月撤销 1 条、待裁定 1 条")


def _bonuses_accountability(campaign, units, users, log: Log) -> None:
    ducha, admin = users["ducha"], users["chuangjianban"]
    plan = [
        ("杨源乡", dt.date(2026, 10, 1), "2.00", "获评省级卫生乡镇", True),
        ("迎春社区", dt.date(2026, 11, 1), "1.00", "社区联创共建活动获市级表彰", True),
        ("芦洲乡", dt.date(2026, 11, 1), "1.50", "新建乡村宣传栏7个，实现各村宣传栏全覆盖，经验做法被市级简报刊发", True),
        ("口岸街道", dt.date(2026, 11, 1), "1.00", "垃圾分类工作创新做法被省级媒体报道", None),
        ("南坝乡", dt.date(2026, 10, 1), "1.00", "申报文明集镇创建成果（材料不全）", False),
    ]
    for unit_name, month, points, reason, approve in plan:
        bonus = inspection_services.bonus_create(
            actor=ducha, campaign=campaign, unit=units[unit_name], month=month, points=Decimal(points), reason=reason
        )
        if approve is not None:
            inspection_services.bonus_approve(approver=admin, bonus=bonus, approve=approve)
    late = list(Finding.objects.filter(campaign=campaign, unit=units["南坝乡"], overdue_penalty__isnull=False)[:3])
    inspection_services.accountability_create(
        actor=admin, campaign=campaign, unit=units["南坝乡"], kind=AccountabilityKind.TALK, date=dt.date(2026, 11, 20),
        person_name="张立新", findings=late,
        reason="10月份现场考核和暗访发现的问题逾期未整改，督办后仍未整改到位，存在慢作为问题，对责任领导进行约谈。",
    )
    log("加分 5 条（含待审批、未批准各 1 条），问责 1 条")


def _publish_october(campaign, users, log: Log) -> None:
    # One October appeal is still open: publishing needs (and records) the explicit confirmation.
    report_services.period_publish(campaign=campaign, month=dt.date(2026, 10, 1), actor=users["chuangjianban"], today=DEMO_TODAY,
            confirm_open_appeals=True)
    log("已发布 2026年10月 考核结果")


def _correction(campaign, units, users, log: Log) -> None:
    """A mistake found in published October, answered in open November with a reason."""
    finding = Finding.objects.filter(campaign=campaign, month=dt.date(2026, 10, 1), unit=units["城东街道"]).order_by("pk").first()
    if finding is None:
        return
    inspection_services.correction_create(
        actor=users["chuangjianban"], campaign=campaign, unit=finding.unit, month=dt.date(2026, 11, 1), points=finding.points,
        reason=f"经复核，10月份“{finding.description[:30]}”系市政施工临时占用所致，不属于责任单位问题，返还扣分。", finding=finding,
    )
    log("更正记录 1 条（11月返还10月误扣分）")


# ------------------------------------------------------------------ parts of other areas

# Each area's demo module (see the module docstring). One line per area.
PARTS: tuple[str, ...] = (
    "dataload.demo_materials",
    "dataload.demo_surveys",
    "dataload.demo_ledgers",
    "dataload.demo_snaps",
    "dataload.demo_notices",
)


@dataclass
class Demo:
    """What the core story built, handed to each part's ``build``."""

    campaign: Campaign
    units: dict[str, Unit]  # by name
    users: dict[str, Any]  # by username
    indicators: dict[str, Indicator]  # by code
    points: list[InspectionPoint]
    rng: random.Random
    log: Log
    today: dt.date = DEMO_TODAY


def _parts() -> list[Any]:
    return [import_module(path) for path in PARTS]


# ------------------------------------------------------------------ entry point


def load_demo(*, log: Log = lambda message: None) -> Campaign:
    """Build (or rebuild) the demo campaign. Idempotent: a second run leaves the same rows."""
    rng = random.Random(SEED)
    _PATHS.clear()
    with transaction.atomic():
        groups = _groups()
        units = _units(groups)
        types, points = _points(units)
        users = _users(units)
        log(f"单位 {len(units)} 个，考核组别 {len(groups)} 个，点位 {len(points)} 个，演示账号 {len(users)} 个")
        campaign = _campaign()
        parts = _parts()
        for part in reversed(parts):
            if hasattr(part, "wipe"):
                part.wipe(campaign)
        wipe(campaign, admin=users["chuangjianban"], demo_user_ids=[u.pk for u in users.values()])
        phases, actions = _phases_actions(campaign, units)
        indicators = _indicators(campaign, units, types)
        log(f"测评指标 {len(indicators)} 项（测评标准 {sum(1 for i in indicators.values() if i.level == 3)} 项）")
        _tasks(campaign, units, users, indicators, phases, actions, rng, log)
        points = list(InspectionPoint.objects.filter(pk__in=[p.pk for p in points]).select_related("unit", "point_type"))
        findings = _inspections(campaign, users, points, indicators, actions, rng, log)
        _rectifications(findings, users, rng, log)
        _orders(findings, users, log)
        _order_story(campaign, users, log)
        october_open = _appeals_october(campaign, units, users, log)
        penalties = inspection_services.overdue_penalties_apply(today=DEMO_TODAY)
        log(f"逾期整改扣分 {len(penalties)} 条")
        _bonuses_accountability(campaign, units, users, log)
        _publish_october(campaign, users, log)
        _correction(campaign, units, users, log)
        _appeals_november(campaign, units, users, october_open, log)
        reminders = task_services.reminders_send(today=DEMO_TODAY)
        log(f"任务提醒 {reminders.created} 条")
        demo = Demo(campaign=campaign, units=units, users=users, indicators=indicators, points=points, rng=rng, log=log)
        for part in parts:
            part.build(demo)
    return campaign


def demo_models() -> list[type]:
    """Every concrete model of our apps (history included): what the idempotency test counts."""
    labels = ("campaign", "notices", "ledgers", "tasks", "inspections", "materials", "surveys", "snaps", "reports", "dataload")
    return [model for label in labels for model in apps.get_app_config(label).get_models()]
