"""Reads of 材料审核: the state of each item and standard per unit, the completeness matrix, what a unit owes.

The rules, stated once:

- An item's **state** for a unit is the review status of its latest round (none: 未报送).
- The **current files** of an item for a unit are those of every round after the last 不合格 one:
  需补充 means "add to what you sent", 不合格 means "start over".
- A standard's **cell** for a unit (the matrix), given ``today``:

  - 已合格 (accepted): every item's latest round is 合格;
  - 待审核 (submitted): every item has a round, each 合格 or 待审核, at least one 待审核;
  - 逾期 (overdue): otherwise, when ``today`` is after the deadline;
  - 缺报 (missing): otherwise (an item not sent yet, or sent back as 需补充/不合格).

- Percentages: 合格率 = accepted ÷ cells, 报送率 = (accepted + submitted) ÷ cells, per unit, per
  standard and for the whole city; a unit's cells are the standards it is named on.

Everything is read with a constant number of queries, whatever the number of standards and units.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from campaign import access
from campaign.models import Campaign, Unit
from inspections.models import RectificationPhoto
from tasks.models import Evidence

from .models import MaterialScore, MaterialSettings, Requirement, RequirementItem, ReviewStatus, ScoreUse, Submission

ACCEPTED, SUBMITTED, OVERDUE, MISSING = "accepted", "submitted", "overdue", "missing"
CELL_LABELS = {ACCEPTED: "已合格", SUBMITTED: "待审核", OVERDUE: "逾期", MISSING: "缺报"}
# Latest states a unit still has to act on.
OWED_STATES = (None, ReviewStatus.SUPPLEMENT, ReviewStatus.REJECTED)


_ACCEPTED, _PENDING = ReviewStatus.ACCEPTED.value, ReviewStatus.PENDING.value


def cell_state(item_states: list[str | None], *, deadline: dt.date, today: dt.date) -> str:
    """The matrix cell of one standard for one unit, from its items' latest review states."""
    # list.count rather than all(...) over a generator: the matrix calls this 4,800 times per page.
    if item_states:
        accepted = item_states.count(_ACCEPTED)
        if accepted == len(item_states):
            return ACCEPTED
        if accepted + item_states.count(_PENDING) == len(item_states):
            return SUBMITTED
    return OVERDUE if today > deadline else MISSING


def percent(part: int, whole: int) -> Decimal | None:
    """``part ÷ whole`` as a percentage with one decimal (half up); None when there is nothing to count."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    cells: int = 0
    accepted: int = 0
    submitted: int = 0
    overdue: int = 0
    missing: int = 0

    def add(self, state: str) -> None:
        self.cells += 1
        setattr(self, state, getattr(self, state) + 1)

    @property
    def accepted_pct(self) -> Decimal | None:
        return percent(self.accepted, self.cells)

    @property
    def reported_pct(self) -> Decimal | None:
        return percent(self.accepted + self.submitted, self.cells)


def _tally(cells: Iterable[str | None]) -> Tally:
    """The tally of a row or column of cells (None: the unit is not named on the standard)."""
    counts = Counter(cells)
    counts.pop(None, None)
    return Tally(cells=sum(counts.values()), accepted=counts[ACCEPTED], submitted=counts[SUBMITTED],
                 overdue=counts[OVERDUE], missing=counts[MISSING])


@dataclass
class MatrixRow:
    requirement: Requirement
    cells: list[str | None]  # per matrix unit column: a state, or None when the unit is not named on it
    tally: Tally = field(default_factory=Tally)
    units: list[Unit] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[Unit, str | None]]:
        return list(zip(self.units, self.cells))


@dataclass
class Matrix:
    units: list[Unit]
    rows: list[MatrixRow]
    unit_tallies: list[Tally]
    total: Tally
    pending: int = 0  # item rounds waiting for review, over the matrix's cells


def requirements_for(campaign: Campaign, *, phase_id: int | None = None) -> QuerySet[Requirement]:
    qs = Requirement.objects.filter(campaign=campaign).select_related("indicator", "phase", "campaign")
    if phase_id:
        qs = qs.filter(phase_id=phase_id)
    return qs.order_by("indicator__order", "indicator__code")


def latest_states(requirement_ids: list[int] | None = None, *, campaign: Campaign | None = None,
                  unit_ids: list[int] | None = None) -> dict[tuple[int, int], str]:
    """``{(item_id, unit_id): status of the latest round}`` in one query."""
    qs = Submission.objects.all()
    if campaign is not None:
        qs = qs.filter(item__requirement__campaign=campaign)
    if requirement_ids is not None:
        qs = qs.filter(item__requirement_id__in=requirement_ids)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    # One fetch, not a server-side cursor in chunks: three small values per round (24,000 rounds are
    # a few MB), and the chunks' round trips were a third of the matrix page's time.
    rows = qs.order_by("round").values_list("item_id", "unit_id", "status")
    return {(item_id, unit_id): status for item_id, unit_id, status in rows}  # later rounds overwrite earlier ones


def completeness(campaign: Campaign, *, today: dt.date, phase_id: int | None = None,
                 units: list[Unit] | None = None) -> Matrix:
    """The standard × unit matrix with per-row, per-unit and city-wide tallies (constant queries).

    ``units`` restricts the columns (an official sees their own); by default every unit named on
    some requirement, in tree order.
    """
    requirements = list(requirements_for(campaign, phase_id=phase_id))
    req_ids = [r.pk for r in requirements]
    named: dict[int, set[int]] = defaultdict(set)
    for req_id, unit_id in Requirement.units.through.objects.filter(requirement_id__in=req_ids).values_list(
        "requirement_id", "unit_id"
    ):
        named[req_id].add(unit_id)
    items: dict[int, list[int]] = defaultdict(list)
    for item_id, req_id in RequirementItem.objects.filter(requirement_id__in=req_ids).values_list("pk", "requirement_id"):
        items[req_id].append(item_id)
    if units is None:
        all_ids = set().union(*named.values()) if named else set()
        units = list(Unit.objects.filter(pk__in=all_ids).order_by("path"))
    unit_ids = [u.pk for u in units]
    states = latest_states(req_ids, unit_ids=unit_ids) if req_ids and unit_ids else {}
    # The loop runs once per cell (4,800 for 120 standards × 40 units): plain locals, the tallies
    # counted per row and per column at the end rather than three Tally.add calls per cell.
    get = states.get
    rows = []
    pending = 0
    for req in requirements:
        names, item_ids, deadline = named[req.pk], items[req.pk], req.deadline
        cells: list[str | None] = []
        for unit_id in unit_ids:
            if unit_id not in names:
                cells.append(None)
                continue
            item_states = [get((i, unit_id)) for i in item_ids]
            pending += item_states.count(_PENDING)
            cells.append(cell_state(item_states, deadline=deadline, today=today))
        rows.append(MatrixRow(requirement=req, cells=cells, tally=_tally(cells), units=units))
    unit_tallies = [_tally(column) for column in zip(*(row.cells for row in rows))] if rows else [Tally() for _ in units]
    total = Tally()
    for tally in unit_tallies:
        for name in ("cells", ACCEPTED, SUBMITTED, OVERDUE, MISSING):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
    return Matrix(units=units, rows=rows, unit_tallies=unit_tallies, total=total, pending=pending)


@dataclass
class OwedItem:
    requirement: Requirement
    item: RequirementItem
    unit: Unit
    state: str | None
    overdue: bool


def owed_by(user: Any, campaign: Campaign, *, today: dt.date) -> list[OwedItem]:
    """What the user's own units still have to submit (not sent, 需补充, 不合格), deadline first."""
    units = list(access.own_units(user))
    if not units:
        return []
    by_id = {u.pk: u for u in units}
    requirements = list(
        requirements_for(campaign).filter(units__in=units).distinct().prefetch_related(
            "items", Prefetch("units", queryset=Unit.objects.filter(pk__in=by_id), to_attr="own")
        )
    )
    states = latest_states([r.pk for r in requirements], unit_ids=list(by_id))
    owed = []
    for req in requirements:
        for unit in req.own:
            for item in req.items.all():
                state = states.get((item.pk, unit.pk))
                if state in OWED_STATES:
                    owed.append(OwedItem(req, item, unit, state, today > req.deadline))
    owed.sort(key=lambda o: (o.requirement.deadline, o.requirement.indicator.code, o.item.order))
    return owed


def rounds_for(requirement: Requirement, unit: Unit) -> dict[int, list[Submission]]:
    """Every round of every item of ``requirement`` for ``unit``: ``{item_id: [round 1, round 2, …]}``."""
    rounds: dict[int, list[Submission]] = defaultdict(list)
    qs = (
        Submission.objects.filter(item__requirement=requirement, unit=unit)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related("files", "task_evidence__entry__task", "rectification_photos__rectification__finding")
        .order_by("item_id", "round")
    )
    for sub in qs:
        rounds[sub.item_id].append(sub)
    return rounds


def current_rounds(rounds: list[Submission]) -> list[Submission]:
    """The rounds whose files count now: every round after the last 不合格 one."""
    last_rejected = max((i for i, r in enumerate(rounds) if r.status == ReviewStatus.REJECTED), default=-1)
    if rounds and rounds[-1].status == ReviewStatus.REJECTED:
        return []
    return rounds[last_rejected + 1:]


def file_count(rounds: list[Submission]) -> int:
    """Files that count for an item (uploaded plus linked evidence) over its current rounds (prefetched)."""
    return sum(len(r.files.all()) + len(r.task_evidence.all()) + len(r.rectification_photos.all()) for r in current_rounds(rounds))


def unit_evidence(unit: Unit, campaign: Campaign, *, indicator_id: int | None = None) -> tuple[list[Evidence], list[RectificationPhoto]]:
    """The unit's own progress evidence and rectification photos, to pick from (same indicator first)."""
    evidence = list(
        Evidence.objects.filter(entry__task__unit=unit, entry__task__campaign=campaign)
        .select_related("entry__task")
        .order_by("-uploaded_at")[:300]
    )
    photos = list(
        RectificationPhoto.objects.filter(rectification__finding__unit=unit, rectification__finding__campaign=campaign)
        .select_related("rectification__finding")
        .order_by("-uploaded_at")[:300]
    )
    if indicator_id:
        evidence.sort(key=lambda e: e.entry.task.indicator_id != indicator_id)
        photos.sort(key=lambda p: p.rectification.finding.indicator_id != indicator_id)
    return evidence, photos


def review_queue(campaign: Campaign) -> QuerySet[Submission]:
    """Rounds waiting for the office's review, oldest first."""
    return (
        Submission.objects.filter(item__requirement__campaign=campaign, status=ReviewStatus.PENDING)
        .select_related("item__requirement__indicator", "unit", "submitted_by")
        .order_by("submitted_at")
    )


@dataclass(frozen=True)
class MaterialScoreLine:
    unit_id: int
    indicator_code: str
    score_id: int
    label: str
    points: Decimal  # negative: the points the materials did not earn (分值 − 得分)
    scored_on: dt.date | None = None


def material_score_lines(*, campaign: Campaign, start: dt.date, end: dt.date, unit_ids: set[int] | None = None) -> list[MaterialScoreLine]:
    """The score lines of 材料审核 scores dated ``start``–``end`` (inclusive), one per standard and unit.

    A standard scored 1.5 of its 2.00 points loses 0.50: the line is −0.50, and says so. Only the
    campaign's choice decides where they count (``MaterialSettings.score_use``); this function
    returns the lines whatever it is, the caller (``reports.scoring``) asks only when they count.
    """
    qs = MaterialScore.objects.filter(requirement__campaign=campaign, scored_on__gte=start, scored_on__lte=end)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    lines = []
    for pk, unit_id, points, full, code, name, note, scored_on in qs.order_by(
        "requirement__indicator__order", "requirement__indicator__code", "unit_id"
    ).values_list(
        "pk", "unit_id", "points", "requirement__indicator__score", "requirement__indicator__code", "requirement__indicator__name",
        "note", "scored_on",
    ):
        lost = min(points, full) - full
        label = f"材料审核 {code} {name}：得{points}分（分值{full}分）" + (f"，{note}" if note else "")
        lines.append(MaterialScoreLine(unit_id, code, pk, label[:300], lost, scored_on))
    return lines


def score_use(campaign: Campaign) -> str:
    """Where the campaign's 材料审核 scores count (``ScoreUse``); readiness only when not set."""
    found = MaterialSettings.objects.filter(campaign=campaign).values_list("score_use", flat=True).first()
    return found or ScoreUse.READINESS
