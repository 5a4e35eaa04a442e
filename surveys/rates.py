"""The survey rules, in plain functions: what counts as "yes", how a rate is counted, how a rate
becomes points.

**Yes.** A question marked 知晓 / 满意 / 支持 (``Question.measure``) is answered "yes" by a respondent
when a chosen option is marked ``counts_yes`` (single or multiple choice: any one such option
suffices), or when the rating is at least ``yes_min_rating`` (default 4 of 5). Short-text questions
never count. A question left unanswered leaves the denominator.

**Rate.** For one measure, over a set of responses: ``rate = yes ÷ answered``, where both count
(respondent, question) pairs over every question with that measure. With one question per measure
(the usual case) that is simply the share of respondents who said yes. ``respondents`` is the number
of responses that answered at least one such question; a rate is always shown with it.

**Area.** A unit's rate counts the responses whose area (``Response.unit``) is that unit or below it,
so a street's 知晓率 is over all its communities' respondents.

**Points** (``ScoringRule``), for an indicator of score ``S``:

- 按比例 (proportional): ``S × rate``;
- 达标满分 (threshold ``T``, default 90%): ``S`` when ``rate ≥ T``, else ``S × rate ÷ T`` (linear below).

Points are rounded to 0.01 (half up); the score line deducts ``S − points``. Fewer respondents than
``min_respondents`` score nothing (a 0.00 line says so).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import QuestionKind, ScoreMethod

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Rate:
    yes: int
    answered: int
    respondents: int

    @property
    def value(self) -> Decimal | None:
        """yes ÷ answered to 4 places (0.9333), None when nobody answered."""
        if not self.answered:
            return None
        return (Decimal(self.yes) / self.answered).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def percent(self) -> str:
        value = self.value
        return "—" if value is None else f"{value * 100:.2f}%"


def is_yes(*, kind: str, counts_yes: bool | None, rating: int | None, yes_min_rating: int) -> bool:
    """Whether one answer row says yes (see the module docstring)."""
    if kind == QuestionKind.RATING:
        return rating is not None and rating >= yes_min_rating
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return bool(counts_yes)
    return False


def count_rate(rows: Iterable[tuple[int, int, bool]]) -> Rate:
    """``rows`` are ``(response id, question id, yes)`` answer rows (a multiple-choice answer may give
    several rows per pair); a pair is yes when any of its rows is."""
    pairs: dict[tuple[int, int], bool] = {}
    for response_id, question_id, yes in rows:
        key = (response_id, question_id)
        pairs[key] = pairs.get(key, False) or yes
    return Rate(
        yes=sum(1 for yes in pairs.values() if yes),
        answered=len(pairs),
        respondents=len({response_id for response_id, _ in pairs}),
    )


def rates_by_area(rows: Iterable[tuple[int, int, bool, str]], paths: Iterable[str]) -> dict[str, Rate]:
    """One :class:`Rate` per unit path, over the rows whose area path (4th item) lies at or below it.

    Each row is matched through the prefixes of its own path ("/1/5/23/" → "/1/", "/1/5/", "/1/5/23/"),
    so the work grows with rows × tree depth, not rows × units."""
    wanted = set(paths)
    per_path: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for response_id, question_id, yes, area_path in rows:
        if not area_path:
            continue
        end = area_path.find("/", 1)
        while end != -1:
            prefix = area_path[: end + 1]
            if prefix in wanted:
                per_path[prefix].append((response_id, question_id, yes))
            end = area_path.find("/", end + 1)
    return {path: count_rate(per_path.get(path, ())) for path in wanted}


def q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_points(*, method: str, rate: Decimal, score: Decimal, target: Decimal) -> Decimal:
    """Points an indicator of ``score`` earns at ``rate`` (see the module docstring)."""
    if method == ScoreMethod.PROPORTIONAL:
        return q2(score * rate)
    if rate >= target:
        return q2(score)
    return q2(score * rate / target)
