"""Who gets what, on which channel, and when: plain rules, no I/O.

- An event's route (office's :class:`~notices.models.EventRoute` row, else ``DEFAULT_ROUTES``)
  lists the outside channels in fallback order; in-app is always on.
- A person's plan is the route's channels they accept (no preference row: all) and that can
  reach them; an empty plan means in-app only.
- Quiet hours hold non-urgent outside messages until the quiet time ends (in-app still arrives).
- Digest mode holds non-urgent outside messages for the person's daily digest.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import Channel, Event


@dataclass(frozen=True)
class Route:
    event: str
    channels: tuple[str, ...]
    to_group_robot: bool
    urgent: bool
    active: bool = True

    @property
    def label(self) -> str:
        return Event(self.event).label

    @property
    def channel_labels(self) -> str:
        return " → ".join(Channel(c).label for c in self.channels) if self.active else ""


_BOTH = (Channel.SMS.value, Channel.EMAIL.value)
DEFAULT_ROUTES: dict[str, Route] = {
    Event.FINDING_NEW: Route(Event.FINDING_NEW, _BOTH, to_group_robot=True, urgent=False),
    Event.ORDER_ISSUED: Route(Event.ORDER_ISSUED, _BOTH, to_group_robot=True, urgent=True),
    Event.RECT_RETURNED: Route(Event.RECT_RETURNED, _BOTH, to_group_robot=False, urgent=False),
    Event.RECT_ACCEPTED: Route(Event.RECT_ACCEPTED, (Channel.EMAIL.value,), to_group_robot=False, urgent=False),
    Event.DEADLINE_SOON: Route(Event.DEADLINE_SOON, _BOTH, to_group_robot=False, urgent=False),
    Event.OVERDUE: Route(Event.OVERDUE, _BOTH, to_group_robot=True, urgent=False),
    Event.APPEAL_FILED: Route(Event.APPEAL_FILED, (Channel.EMAIL.value,), to_group_robot=False, urgent=False),
    Event.APPEAL_DECIDED: Route(Event.APPEAL_DECIDED, _BOTH, to_group_robot=False, urgent=False),
    Event.MONTH_PUBLISHED: Route(Event.MONTH_PUBLISHED, (Channel.EMAIL.value,), to_group_robot=True, urgent=False),
    Event.REPORT_READY: Route(Event.REPORT_READY, (Channel.EMAIL.value,), to_group_robot=False, urgent=False),
    Event.ESCALATION: Route(Event.ESCALATION, _BOTH, to_group_robot=False, urgent=True),
    Event.DIGEST: Route(Event.DIGEST, _BOTH, to_group_robot=False, urgent=True),
    Event.SYSTEM: Route(Event.SYSTEM, (Channel.EMAIL.value,), to_group_robot=False, urgent=False),
    # A resident's report: the office reads it in-app (and in its digest); one may add channels in the admin.
    Event.SNAP_NEW: Route(Event.SNAP_NEW, (), to_group_robot=False, urgent=False),
}

# The digest's three sections (what is due, overdue, new).
DUE_EVENTS = frozenset({Event.DEADLINE_SOON})
OVERDUE_EVENTS = frozenset({Event.OVERDUE, Event.ESCALATION})


def person_plan(route: Route, accepted: list[str] | None, reachable: set[str]) -> list[str]:
    """The outside channels to try for one person, in the route's order.

    ``accepted`` None = no preference saved (accept everything the office routes).
    """
    if not route.active:
        return []
    return [c for c in route.channels if (accepted is None or c in accepted) and c in reachable]


def quiet_until(now: dt.datetime, start: dt.time | None, end: dt.time | None) -> dt.datetime | None:
    """When quiet hours covering ``now`` end, or None if ``now`` is not quiet.

    ``start > end`` spans midnight (22:00–07:30); equal times mean no quiet hours.
    """
    if start is None or end is None or start == end:
        return None
    t = now.timetz().replace(tzinfo=None)
    today_end = now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if start < end:
        return today_end if start <= t < end else None
    if t >= start:
        return today_end + dt.timedelta(days=1)
    if t < end:
        return today_end
    return None
