"""Sortable tables: one rule for every list and statistics table on the site.

A table declares its sortable columns as a whitelist (column key → how to sort by it). The
request asks with ``?sort=key`` (ascending) or ``?sort=-key`` (descending); a table that shares
its page with others uses its own parameter (``?unit_sort=-rate``). Anything not in the
whitelist is ignored and the table keeps its default order: a sort key never reaches the ORM
unchecked, and a wrong or stale link never gives a 500.

- :func:`chosen` reads the sort the request asks for (or the default).
- :func:`ordering` turns it into an ORM ``order_by`` list (database lists: findings, ledgers).
- :func:`sort_rows` sorts rows already in memory (aggregated statistics, rankings); stable, so
  rows that tie keep the order the page computed, and an unknown value (None) sorts last.
- :func:`headers` gives each column's header: the link a click follows (the other query
  parameters kept, the table's own page number dropped, because page 3 of another order means
  nothing), ``aria-sort`` and an arrow. Templates render them with ``includes/sort_header.html``.

Sorting never computes anything: a ranking sorted by name keeps the ranks the engine gave.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import QueryDict

T = TypeVar("T")


@dataclass(frozen=True)
class Sort:
    """The sort a table is in: a whitelisted column key and a direction."""

    key: str
    descending: bool = False

    @property
    def value(self) -> str:
        """As written in the query string: ``key`` or ``-key``."""
        return f"-{self.key}" if self.descending else self.key


def parse(value: str | None, allowed: Iterable[str], default: str) -> Sort:
    """``value`` (``key`` / ``-key``) if its key is allowed, else ``default`` (which must be)."""
    keys = set(allowed)
    for candidate in ((value or "").strip(), default):
        descending = candidate.startswith("-")
        key = candidate[1:] if descending else candidate
        if key in keys:
            return Sort(key, descending)
    raise ValueError(f"default sort {default!r} is not among the allowed keys")


def chosen(query: Mapping[str, str], allowed: Iterable[str], default: str, *, param: str = "sort") -> Sort:
    """The sort ``query`` (request.GET) asks for under ``param``, or the default."""
    return parse(query.get(param), allowed, default)


def ordering(sort: Sort, columns: Mapping[str, str | Sequence[str]], *, tail: Sequence[str] = ("pk",)) -> list[str]:
    """ORM ``order_by`` for ``sort``: the column's field(s), then ``tail`` (a unique field, so that
    pages never repeat or skip a row among equal values), all flipped when descending (so that
    ``-found_on, -id`` is read backwards along an index on ``found_on, id``)."""
    fields = columns[sort.key]
    fields = [fields] if isinstance(fields, str) else list(fields)
    fields += [t for t in tail if t not in fields]
    if sort.descending:
        fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
    return fields


def sort_rows(rows: Iterable[T], sort: Sort, keys: Mapping[str, Callable[[T], Any]]) -> list[T]:
    """``rows`` sorted in memory by the column's key function; rows whose key is None come last
    in either direction (“—” is not the smallest rate). Stable: ties keep their given order."""
    key = keys[sort.key]
    rows = list(rows)
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]
    return sorted(known, key=key, reverse=sort.descending) + unknown


@dataclass(frozen=True)
class Column:
    """A column of a sortable table; ``key`` empty: shown, not sortable."""

    label: str
    key: str = ""
    number: bool = False  # right-aligned
    css: str = ""  # extra classes for the header cell (e.g. "cw-more": hidden on a phone)
    first: str = "asc"  # the direction of a first click ("desc" for scores: the highest first)
    attr: str = ""  # what the template reads for the cell, where rows are drawn column by column


@dataclass(frozen=True)
class Header:
    label: str
    key: str
    url: str  # "" when not sortable
    state: str  # "asc" | "desc" | ""
    number: bool
    css: str
    attr: str = ""

    @property
    def aria(self) -> str:
        return {"asc": "ascending", "desc": "descending"}.get(self.state, "")


def headers(
    columns: Iterable[Column], sort: Sort, query: QueryDict, *, param: str = "sort", page_param: str = "page",
    anchor: str = "",
) -> list[Header]:
    """Each column's header. Clicking the sorted column flips it; another column sorts in its
    ``first`` direction. The link keeps every other parameter (filters, other tables' sorts and
    pages) and drops ``page_param``."""
    result = []
    for column in columns:
        state = ""
        if column.key and column.key == sort.key:
            state = "desc" if sort.descending else "asc"
        url = ""
        if column.key:
            if state:
                descending = state == "asc"
            else:
                descending = column.first == "desc"
            link = query.copy()
            link.pop(page_param, None)
            link[param] = Sort(column.key, descending).value
            url = f"?{link.urlencode()}" + (f"#{anchor}" if anchor else "")
        result.append(Header(column.label, column.key, url, state, column.number, column.css, column.attr))
    return result
