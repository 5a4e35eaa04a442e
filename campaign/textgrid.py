"""Rows of text in columns for the monospaced CJK font (Noto Sans Mono CJK SC), for WeasyPrint.

WeasyPrint's cost grows with boxes, not with text: every table cell is a box with its computed
style, a line box and a Pango layout, about 2 ms each, so a 7-cell table row cost ~16 ms. The same
row as one preformatted text in a block costs ~3 ms (docs/benchmarks.md, “Full bulletin”). So a row
is laid out here as one string in columns for the monospaced font (same Chinese glyphs as the body
font): printable ASCII is half an em wide there (1 cell), a Chinese character one em (2 cells).
Text whose width we cannot know in advance (user text may hold any character) belongs in the last
column, where a wrong guess cannot push another column out of line; everything but ASCII counts as
2 cells (the widest of that font), so a guess errs towards shorter lines, never into the margin.

Used by the bulletin (``reports.renderers``: appendix and ranking) and the 迎检 covers
(``materials.archive``). Pure functions: no Django.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

# For the CSS of the block holding the rows (white-space: pre).
MONO_FONT_FAMILY = '"Noto Sans Mono CJK SC", "Noto Sans Mono CJK JP", monospace'

# A line may not start with these (Chinese line breaking): they hang at the end of the line before.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’…,.;:?!)]}%")


def text_cells(text: str) -> int:
    """Width of ``text`` in cells of the monospaced font (printable ASCII 1, all else 2)."""
    return sum(1 if " " <= ch <= "~" else 2 for ch in text)


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells: ASCII words kept whole where they fit,
    closing punctuation hanging (one character past ``width``) rather than starting a line;
    whitespace (newlines in a description) becomes one space."""
    tokens = re.findall(r"[!-~]+|\s+|.", " ".join(text.split()))
    lines: list[str] = [""]
    used = 0
    for token in tokens:
        if token.isspace():
            token = " "
            if not lines[-1]:
                continue
        size = text_cells(token)
        if used + size > width and lines[-1].strip():
            if token == " ":
                continue
            if token not in _NO_LINE_START:  # closing punctuation hangs past the column instead (标点悬挂)
                lines.append("")
                used = 0
        while size > width:  # a word longer than the column: cut it
            room = width - used
            lines[-1] += token[:room]
            token = token[room:]
            lines.append("")
            used, size = 0, text_cells(token)
        lines[-1] += token
        used += size
    return [line.rstrip() for line in lines]


def grid_row(values: Sequence[str], columns: Sequence[tuple[str, int, bool]]) -> str:
    """One row as text in ``columns`` (title, width in cells, right-aligned), over as many lines
    as its longest value needs."""
    cells = [wrap_cells(value, width) for value, (_title, width, _right) in zip(values, columns)]
    rows = []
    for n in range(max(len(c) for c in cells)):
        parts = []
        for column, (_title, width, right) in zip(cells, columns):
            text = column[n] if n < len(column) else ""
            gap = " " * max(0, width - text_cells(text))
            parts.append(gap + text if right else text + gap)
        rows.append(" ".join(parts).rstrip())
    return "\n".join(rows)


def grid_header(columns: Sequence[tuple[str, int, bool]]) -> str:
    return grid_row([title for title, _width, _right in columns], columns)
