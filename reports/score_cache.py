"""Open months' scores served from a cache instead of running the engine on every page.

What is kept (Django's cache: Redis in production), per (campaign, month, version, today):

* ``base``: every ranked unit's totals and ranks, without lines and without ``change``
  (rankings, trends, previous-month figures, the months page);
* ``full``: the same with every unit's lines (the ranking page's report figures);
* ``lines``: one unit's lines (the explanation page; that unit's score does not depend on
  the others, so it is computed alone and its totals and rank come from ``base``).
* ``page``: the month page's report figures without their rows (``reports.data.page_data``),
  open or published month.

``change`` is applied when read (the previous month's ``base`` or its snapshot), so an entry
never depends on another month's version. ``today`` is part of the key because task deadlines
that pass make a task overdue. Published months never come here: they read their snapshot rows.

**Invalidation.** ``version`` is one random token for the whole site (units and ranking
groups are shared by campaigns), replaced by every write that can change a score
(``reports/signals.py``: findings, checks, appeals, penalties, bonuses, corrections, tasks,
units, ranking groups, indicators, points, months, campaigns, imports). A write replaces it
twice: at once inside the write, and again on ``transaction.on_commit``:

* a reader on another connection that read the token before the commit and computed from the
  old rows stores them under a token that the commit then retires, so no stale entry survives
  the commit; a reader that read the token after the commit reads committed rows;
* tokens are random, never counted, so a rolled-back write can not make a later write land
  on a token that already holds an entry;
* the connection that made the write reads neither the cache nor stores into it until its
  transaction commits (its own uncommitted rows are not for others to see).

Off (the engine runs every time) when ``settings.SCORE_CACHE_SECONDS`` is 0, the default
without Redis: a per-process memory cache could not be invalidated by another process.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from campaign.models import Campaign, month_start

from . import scoring
from .scoring import MonthScores, ScoreLine

VERSION_KEY = "scores:version"
logger = logging.getLogger(__name__)


def timeout() -> int:
    return int(getattr(settings, "SCORE_CACHE_SECONDS", 0) or 0)


class _CommitBump:
    """The on_commit half of a bump; ``done`` once it ran (a test runs it by hand)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        self.done = True
        bump_now()


_owed = False  # a bump failed (cache unreachable): read nothing from the cache until one succeeds


def bump_now() -> None:
    """Retire every cached open month at once. A cache that can not be reached never fails the
    write: the bump is owed and this process reads no entry until it succeeds (other processes'
    entries expire within ``SCORE_CACHE_SECONDS``)."""
    global _owed
    if not timeout():
        return
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 - Redis down or timing out: scores are then computed live
        logger.warning("score cache: version bump failed; open months are scored live", exc_info=True)
        _owed = True
    else:
        _owed = False


def score_changed() -> None:
    """Called by every write that may change a score: bump now and again once committed."""
    if not timeout() or _writes_pending():
        return  # off, or this transaction already bumped and will bump again on commit
    bump_now()
    transaction.on_commit(_CommitBump())


def _writes_pending() -> bool:
    """Has this connection's open transaction written something that changes a score?"""
    if not connection.in_atomic_block:
        return False
    return any(isinstance(func, _CommitBump) and not func.done for _, func, _ in connection.run_on_commit)


def enabled() -> bool:
    if timeout() <= 0 or _writes_pending():
        return False
    if _owed:
        bump_now()
    return not _owed


def version() -> str:
    token = cache.get(VERSION_KEY)
    if token is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        token = cache.get(VERSION_KEY) or "none"
    return token


def _database() -> str:
    """Which database the entries come from: a restored copy (a new database name) or a test
    database never reads another one's entries, even under the same version token."""
    db = connection.settings_dict
    return hashlib.sha1(f"{db.get('HOST')}:{db.get('PORT')}:{db.get('NAME')}".encode()).hexdigest()[:10]


def _key(kind: str, campaign: Campaign, month: dt.date, today: dt.date, extra: str = "") -> str:
    return f"scores:{version()}:{_database()}:{kind}:{campaign.pk}:{month:%Y-%m}:{today:%Y-%m-%d}{extra}"


def _cached(key, compute):
    """``key()``'s entry, else ``compute()`` stored under it; computed live when the cache fails."""
    try:
        name = key()
        value = cache.get(name)
    except Exception:  # noqa: BLE001
        logger.warning("score cache unreachable; scoring live", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        if value is None:  # a peek: nothing to keep
            return None
        try:
            cache.set(name, value, timeout())
        except Exception:  # noqa: BLE001
            logger.warning("score cache: storing failed", exc_info=True)
    return value


def base_scores(*, campaign: Campaign, month: dt.date, today: dt.date | None = None) -> MonthScores:
    """Every unit's totals and ranks of an open month, without lines or change."""
    start, today = month_start(month), today or timezone.localdate()

    def compute() -> MonthScores:
        return scoring.score_month(campaign=campaign, month=start, with_lines=False, today=today, with_change=False)

    if not enabled():
        return compute()
    return _cached(lambda: _key("base", campaign, start, today), compute)


def full_scores(*, campaign: Campaign, month: dt.date, today: dt.date | None = None) -> MonthScores:
    """Every unit's totals, ranks and lines of an open month, without change."""
    start, today = month_start(month), today or timezone.localdate()

    def compute() -> MonthScores:
        return scoring.score_month(campaign=campaign, month=start, with_lines=True, today=today, with_change=False)

    if not enabled():
        return compute()
    return _cached(lambda: _key("full", campaign, start, today), compute)


def group_averages(*, campaign: Campaign, month: dt.date, today: dt.date | None = None) -> dict:
    """Per ranking group, the average score of an open month (``reports.data.average_score`` of its
    units' scores): the cockpit's trend. Kept apart from ``base`` because it is tiny: a trend over
    several months reads a few numbers instead of unpickling every unit's totals of each month."""
    from collections import defaultdict

    from .data import average_score

    start, today = month_start(month), today or timezone.localdate()

    def compute() -> dict:
        by_group: dict = defaultdict(list)
        for unit in base_scores(campaign=campaign, month=start, today=today).units:
            by_group[unit.ranking_group].append(unit.score)
        return {group: average_score(scores) for group, scores in by_group.items()}

    if not enabled():
        return compute()
    return _cached(lambda: _key("averages", campaign, start, today), compute)


def unit_lines(*, campaign: Campaign, month: dt.date, unit_id: int, today: dt.date | None = None) -> list[ScoreLine]:
    """One unit's explanation lines of an open month (only that unit is scored)."""
    start, today = month_start(month), today or timezone.localdate()

    def compute() -> list[ScoreLine]:
        alone = scoring.score_month(campaign=campaign, month=start, with_lines=True, today=today, with_change=False,
                                    only_units={unit_id})
        unit = alone.get(unit_id)
        return unit.lines if unit else []

    return _cached(lambda: _key("lines", campaign, start, today, f":{unit_id}"), compute)


def unit_score(*, campaign: Campaign, month: dt.date, unit_id: int, today: dt.date | None = None):
    """One unit's totals of an open month (a trend point): the month's cached totals when some page
    already computed them, else this unit scored alone and kept (never a whole month for one point)."""
    start, today = month_start(month), today or timezone.localdate()

    def alone():
        return scoring.score_month(campaign=campaign, month=start, with_lines=False, today=today, with_change=False,
                                   only_units={unit_id}).get(unit_id)

    if not enabled():
        return alone()

    def from_month_or_alone():
        # The month's totals when some page computed them (read once: unpickling 1,000 units costs
        # ~70 ms, ten trend points 0.8 s), else this unit alone; either way kept as the unit's entry.
        base = _cached(lambda: _key("base", campaign, start, today), lambda: _MISSING)
        if base is not _MISSING:
            return base.get(unit_id) or _NOT_RANKED
        return alone() or _NOT_RANKED

    return _cached(lambda: _key("unit", campaign, start, today, f":{unit_id}"), from_month_or_alone) or None


class _NotRanked:
    """Kept in the cache for a unit that month does not rank (None would read as a miss)."""

    def __bool__(self) -> bool:
        return False


_NOT_RANKED = _NotRanked()
_MISSING = None  # "compute" of a peek: nothing computed, nothing stored


def page_figures(*, campaign: Campaign, month: dt.date, compute):
    """A month's page figures (``reports.data.page_data``: the report figures without their rows),
    kept under the same version and day as the scores. Unlike the scores they cover published
    months too: their figures come from the snapshot, and publishing or revoking replaces the version."""
    return derived("page", campaign=campaign, month=month, compute=compute)


def derived(kind: str, *, campaign: Campaign, month: dt.date, compute, today: dt.date | None = None, extra: str = ""):
    """Figures read only from rows whose writes replace the version (``reports.signals.SCORED_MODELS``),
    kept under the same version and day as the scores: ``compute()`` once, then read back until a write
    or midnight retires them. The caller must read nothing else (a model outside that list, a user's
    own rows), or it would be served stale; ``extra`` tells apart variants of one kind. Computed every
    time when the cache is off."""
    start, today = month_start(month), today or timezone.localdate()
    if not enabled():
        return compute()
    return _cached(lambda: _key(kind, campaign, start, today, extra), compute)


def open_month_scores(
    *, campaign: Campaign, month: dt.date, with_lines: bool = True, lines_for: set[int] | None = None,
) -> MonthScores:
    """``reports.scoring.month_scores`` for a month that is not published, from the cache."""
    start, today = month_start(month), timezone.localdate()
    if not enabled():
        return scoring.score_month(campaign=campaign, month=start, with_lines=with_lines, lines_for=lines_for, today=today)
    if with_lines and lines_for is None:
        scores = full_scores(campaign=campaign, month=start, today=today)
    else:
        scores = base_scores(campaign=campaign, month=start, today=today)
        for unit in scores.units:
            if with_lines and unit.unit_id in lines_for:
                unit.lines = unit_lines(campaign=campaign, month=start, unit_id=unit.unit_id, today=today)
    scores.campaign = campaign
    scoring._apply_change(campaign=campaign, month=start, units=scores.units, today=today)
    return scores
