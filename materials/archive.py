"""The 迎检 archive: every standard's materials in one zip, in the structure the 测评 asks for.

::

    <编号> <标准名>/封面.pdf                 the standard, its items, each unit's state (WeasyPrint)
    <编号> <标准名>/<单位>/<序号>_<文件名>   uploaded files and linked evidence of the current rounds
    目录.xlsx                                one row per file: standard, item, unit, file, status, reviewer, date

Built for size (120 standards × 40 units × 5 files, gigabytes): the zip is written to a file on
disk, each member copied from storage in 1 MiB blocks (``shutil.copyfileobj``), never read whole;
JPEG/PNG/PDF/Office files are already compressed and are *stored* (ZIP_STORED), ZIP64 is on. Every
entry carries the UTF-8 flag (0x800), so Chinese names read right in Windows' Explorer, ASCII
names included (some unzip tools pick the code page per archive from the first entry).

Which files count is ``materials.selectors``' rule: every round after the last 不合格 one.
This module knows nothing about report jobs; ``reports.renderers`` calls :func:`build_archive`.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from campaign import access
from campaign.downloads import download_name
from campaign.models import Campaign, Unit
from campaign.periods import file_name
from campaign.textgrid import MONO_FONT_FAMILY, grid_header, grid_row
from campaign.uploads import EXTENSIONS

from . import selectors
from .models import Requirement, RequirementItem, ReviewStatus, Submission, SubmissionFile

UTF8_FLAG = 0x800
COPY_BLOCK = 1024 * 1024
# Already compressed: deflating them again costs time and saves nothing.
STORED_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
INDEX_NAME = "目录.xlsx"
COVER_NAME = "封面.pdf"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

Progress = Callable[[int, str], None]


class Utf8ZipInfo(zipfile.ZipInfo):
    """A zip entry whose name is always flagged UTF-8 (zipfile sets 0x800 only for non-ASCII names,
    and resets ``flag_bits`` when an entry is opened for writing, so the flag is added here)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's name
        return self.filename.encode("utf-8"), self.flag_bits | UTF8_FLAG


def safe_part(text: str, limit: int = 80) -> str:
    """A path segment: no separators or characters Windows refuses, not empty, not too long."""
    cleaned = _UNSAFE.sub("_", text or "").strip().strip(".") or "未命名"
    return cleaned[:limit]


@dataclass
class ArchiveFile:
    """One file of the archive, before it is written."""

    requirement_id: int
    item: RequirementItem
    unit: Unit
    storage_name: str
    display_name: str
    content_type: str
    size: int
    status: str
    reviewer: str
    reviewed_at: dt.datetime | None
    source: str  # 上传 / 引用任务佐证 / 引用整改照片


@dataclass
class ArchiveStats:
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)


def _entry(name: str, when: dt.datetime, compress: int) -> Utf8ZipInfo:
    info = Utf8ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


class _Round(NamedTuple):
    pk: int
    item_id: int
    unit_id: int
    status: str
    reviewed_at: dt.datetime | None
    first_name: str | None
    last_name: str | None
    username: str | None


def _units_of(req_ids: list[int], user: Any) -> dict[int, list[Unit]]:
    """The units named on each requirement that ``user`` sees (None: every unit), in tree order."""
    visible = set(access.visible_units(user).values_list("pk", flat=True)) if user is not None else None
    units_of: dict[int, list[Unit]] = defaultdict(list)
    for link in Requirement.units.through.objects.filter(requirement_id__in=req_ids).select_related("unit").order_by("unit__path"):
        if visible is None or link.unit_id in visible:
            units_of[link.requirement_id].append(link.unit)
    return units_of


def collect(campaign: Campaign, *, user: Any = None, phase_id: int | None = None,
            units_of: dict | None = None) -> tuple[list[Requirement], dict, list[ArchiveFile]]:
    """The requirements, units per requirement (``units_of`` when already read), and every file that
    goes into the archive (constant queries)."""
    requirements = list(selectors.requirements_for(campaign, phase_id=phase_id).prefetch_related("items"))
    req_ids = [r.pk for r in requirements]
    if units_of is None:
        units_of = _units_of(req_ids, user)
    items = {i.pk: i for r in requirements for i in r.items.all()}
    units = {u.pk: u for us in units_of.values() for u in us}
    rounds: dict[tuple[int, int], list[_Round]] = defaultdict(list)
    # Plain rows, not model instances: 24,000 rounds in the benchmark.
    for row in (Submission.objects.filter(item__requirement_id__in=req_ids, unit_id__in=list(units)).order_by("round")
                .values_list("pk", "item_id", "unit_id", "status", "reviewed_at", "reviewed_by__first_name",
                             "reviewed_by__last_name", "reviewed_by__username").iterator(chunk_size=5000)):
        sub = _Round(*row)
        rounds[(sub.item_id, sub.unit_id)].append(sub)
    current: dict[int, _Round] = {}
    for subs in rounds.values():
        for sub in selectors.current_rounds(subs):
            current[sub.pk] = sub
    ids = list(current)
    files: list[ArchiveFile] = []

    def add(sub_id: int, name: str, original: str, ctype: str, size: int, source: str) -> None:
        sub = current[sub_id]
        reviewer = f"{sub.first_name or ''} {sub.last_name or ''}".strip() or (sub.username or "")
        files.append(ArchiveFile(
            requirement_id=items[sub.item_id].requirement_id, item=items[sub.item_id], unit=units[sub.unit_id],
            storage_name=name, display_name=download_name(original, EXTENSIONS.get(ctype, "")), content_type=ctype,
            size=size, status=ReviewStatus(sub.status).label, reviewer=reviewer, reviewed_at=sub.reviewed_at, source=source,
        ))

    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for sub_id, name, original, ctype, size in (
            SubmissionFile.objects.filter(submission_id__in=chunk).order_by("pk")
            .values_list("submission_id", "file", "original_name", "content_type", "size")
        ):
            add(sub_id, name, original, ctype, size, "上传")
        through = Submission.task_evidence.through
        for sub_id, name, original, ctype, size in (
            through.objects.filter(submission_id__in=chunk).order_by("pk")
            .values_list("submission_id", "evidence__file", "evidence__original_name", "evidence__content_type", "evidence__size")
        ):
            add(sub_id, name, original, ctype, size, "引用任务佐证")
        through = Submission.rectification_photos.through
        for sub_id, name, original, ctype, size in (
            through.objects.filter(submission_id__in=chunk).order_by("pk")
            .values_list("submission_id", "rectificationphoto__file", "rectificationphoto__original_name",
                         "rectificationphoto__content_type", "rectificationphoto__size")
        ):
            add(sub_id, name, original, ctype, size, "引用整改照片")
    order = {r.pk: n for n, r in enumerate(requirements)}
    files.sort(key=lambda f: (order[f.requirement_id], f.unit.path, f.item.order, f.item.pk))
    states = selectors.latest_states(req_ids, unit_ids=list(units)) if units else {}
    return requirements, {"units_of": units_of, "states": states}, files


# Covers per WeasyPrint document: the font is loaded and subset once per batch; a forked batch of 60
# of today's covers peaks at ~230 MB (120: 250 MB).
COVER_BATCH = 60
# Cover processes beside the copy loop. One: since the covers became cheap (one font, no table) the
# 120 take ~2.5 s of CPU, less than the copy loop; a second process costs another Django start-up.
COVER_PROCESSES = 1
# The cover's items, one row of text each (campaign.textgrid): 112 cells are A4's width at 9 pt.
COVER_COLUMNS = (("序号", 4, True), ("材料", 30, False), ("最少文件数", 10, True), ("说明", 65, False))


def cover_summary(requirement: Requirement, units: list[Unit], states: dict, *, today: dt.date) -> dict[str, int]:
    """How many of the standard's units are in each matrix state (the cover's one line)."""
    items = list(requirement.items.all())
    counts = {label: 0 for label in selectors.CELL_LABELS.values()}
    for unit in units:
        state = selectors.cell_state([states.get((i.pk, unit.pk)) for i in items], deadline=requirement.deadline, today=today)
        counts[selectors.CELL_LABELS[state]] += 1
    return counts


def cover_rows(requirement: Requirement) -> list[str]:
    """The standard's items as rows of text in ``COVER_COLUMNS`` (序号, 材料, 最少文件数, 说明)."""
    return [grid_row([str(n), item.name, str(item.min_files), item.description], COVER_COLUMNS)
            for n, item in enumerate(requirement.items.all(), start=1)]


def cover_pdfs(requirements: list[Requirement], units_of: dict, states: dict, *, today: dt.date) -> Iterator[tuple[Requirement, bytes]]:
    """One cover PDF per standard (its text, items, deadline and the units' states), WeasyPrint.

    Rendering one document per cover would load and subset the CJK font 120 times (about a second
    and 240 MB each); instead up to ``COVER_BATCH`` covers are laid out in one document, each
    starting on a new page with its title as the only bookmark, and the PDF is cut into one file
    per cover at the bookmarks' pages (pypdf). The template is kept to few boxes and one font
    (templates/materials/covers_pdf.html): WeasyPrint's time follows the boxes."""
    from django.template.loader import render_to_string
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    from campaign.pdf import STATIC_DIR, safe_url_fetcher

    header = grid_header(COVER_COLUMNS)
    for start in range(0, len(requirements), COVER_BATCH):
        batch = requirements[start:start + COVER_BATCH]
        covers = [{"requirement": r, "rows": cover_rows(r), "units": len(units_of.get(r.pk, [])),
                   "summary": cover_summary(r, units_of.get(r.pk, []), states, today=today)} for r in batch]
        html = render_to_string("materials/covers_pdf.html", {"covers": covers, "today": today, "header": header,
                                                              "font_family": MONO_FONT_FAMILY})
        document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=safe_url_fetcher).render()
        firsts = [target[0] for _label, target, _children, _state in document.make_bookmark_tree()]
        if len(firsts) != len(batch):
            raise RuntimeError(f"封面分页异常：{len(batch)} 个标准只找到 {len(firsts)} 个书签。")
        reader = PdfReader(io.BytesIO(document.write_pdf()))
        ends = [*firsts[1:], len(reader.pages)]
        for requirement, first, end in zip(batch, firsts, ends):
            writer = PdfWriter()
            for number in range(first, end):
                writer.add_page(reader.pages[number])
            buffer = io.BytesIO()
            writer.write(buffer)
            yield requirement, buffer.getvalue()


def index_xlsx(rows: list[tuple]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("目录")
    for col, width in zip("ABCDEFGHI", (10, 30, 20, 16, 60, 10, 10, 12, 12)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    from openpyxl.cell import WriteOnlyCell

    header = []
    for title in INDEX_HEADERS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


INDEX_HEADERS = ("标准编号", "测评标准", "材料项", "单位", "文件", "审核状态", "审核人", "审核日期", "来源")


def covers_in_child() -> bool:
    """Render covers in a forked child process (production), or in this process (tests, and where
    ``os.fork`` is missing)."""
    from django.conf import settings

    return getattr(settings, "MATERIALS_COVERS_IN_CHILD", True) and hasattr(os, "fork")


class CoverProcess:
    """The covers, rendered in a process forked from the worker before it reads the rounds, on the
    other core while the worker streams the files (I/O-bound). The standards, their units and states
    are read first (a few queries) and reach the child with the fork: it touches no database
    connection (:func:`_fork` detaches it) and pays no start-up (a ``manage.py materials_covers``
    child spent 1.3 s of CPU on Django's start-up alone, as much as rendering the 120 covers). Inside it each batch of
    ``COVER_BATCH`` renders in a process forked in turn that exits when done (:func:`render_covers`):
    WeasyPrint keeps what it grew per batch, so no process passes 300 MB. The cover process leads a
    process group of its own, which its batch processes join: :meth:`cleanup` kills them all."""

    def __init__(self, requirements: list[Requirement], units_of: dict, states: dict, *, directory: str,
                 today: dt.date) -> None:
        self.ids = [r.pk for r in requirements]
        self.folder = tempfile.mkdtemp(prefix="covers-", dir=directory)
        self.log = tempfile.TemporaryFile(dir=self.folder)  # the child's stderr, read only if it fails
        self.status: int | None = None
        self.pid = _fork(lambda: render_covers(requirements, units_of, states, self.folder, today=today, fork=True),
                         stderr=self.log.fileno(), group=True)

    def results(self) -> Iterator[tuple[int, str]]:
        if self._wait() != 0:
            self.log.seek(0)
            log = self.log.read().decode("utf-8", "replace")
            self.cleanup()
            # The exceptions' own lines (a batch's, then the cover process's), not the tracebacks around them.
            errors = [line for line in log.splitlines() if line[:1].strip() and not line.startswith("Traceback")]
            raise RuntimeError(f"封面生成失败：{'；'.join(errors)[-1000:] or f'退出码 {os.waitstatus_to_exitcode(self.status)}'}")
        for pk in self.ids:
            yield pk, os.path.join(self.folder, f"{pk}.pdf")

    def _wait(self) -> int:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        return self.status

    def cleanup(self) -> None:
        """Stop the child and its batch process if they still run (the archive failed half way) and
        remove its folder. The whole process group is killed: a batch process left alone would go on
        rendering into the removed folder. Until the child is reaped its pid (the group's id) cannot be
        reused, so the signal reaches no stranger."""
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:  # the group is gone already
                pass
            self.status = os.waitpid(self.pid, 0)[1]
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class CoverProcesses:
    """The covers split over ``COVER_PROCESSES`` processes (:class:`CoverProcess`), for when one cover
    process would still be rendering after the copy loop is done (two were needed when a cover cost ~0.1 s)."""

    def __init__(self, requirements: list[Requirement], units_of: dict, states: dict, **kwargs: Any) -> None:
        count = max(1, min(COVER_PROCESSES, len(requirements)))
        self.processes = [CoverProcess(requirements[n::count], units_of, states, **kwargs) for n in range(count)]

    def results(self) -> Iterator[tuple[int, str]]:
        for process in self.processes:
            yield from process.results()

    def cleanup(self) -> None:
        for process in self.processes:
            process.cleanup()


# The database connections a forked child inherited, kept referenced so that they are never garbage
# collected in the child (a driver could end the parent's session when its connection object goes).
_INHERITED_CONNECTIONS: list[Any] = []
NO_DATABASE_IN_CHILD = "封面进程不得访问数据库"


def _refuse_database(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError(NO_DATABASE_IN_CHILD)


def _detach_database() -> None:
    """In a forked child: forget the parent's database connections without closing them (closing
    would end the parent's session on the socket both share) and make any query fail loudly."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        _INHERITED_CONNECTIONS.append(conn.connection)
        conn.connection = None
        conn.connect = _refuse_database  # ensure_connection() calls it before any query


def _fork(work: Callable[[], Any], *, stderr: int | None = None, group: bool = False) -> int:
    """Run ``work`` in a forked process and return its pid (reap it with ``os.waitpid``). The child
    exits with ``os._exit`` (0 on success, 1 with the traceback on stderr, or on the file descriptor
    ``stderr``): it never runs the parent's clean-ups, so the parent's files stay untouched. It starts
    by detaching the inherited database connections: a query in ``work`` raises RuntimeError (so the
    child fails) instead of talking on the parent's session. With ``group`` the child leads a new
    process group (its own children join it; ``os.killpg(pid, ...)`` reaches them all)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if group:
                os.setpgid(0, 0)
            if stderr is not None:
                os.dup2(stderr, 2)
                sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
            _detach_database()
            work()
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    if group:
        # Also from this side, so that a kill sent right after the fork finds the group.
        try:
            os.setpgid(pid, pid)
        except (PermissionError, ProcessLookupError):  # the child did it first, or is gone already
            pass
    return pid


def render_covers(requirements: list[Requirement], units_of: dict, states: dict, folder: str, *, today: dt.date,
                  fork: bool = False) -> int:
    """Render the covers of ``requirements`` (read with their indicator, campaign and items) into
    ``folder`` as ``<pk>.pdf``; reads no database.

    With ``fork`` every batch of ``COVER_BATCH`` renders in a forked process (WeasyPrint imported
    once, before the fork), whose memory goes back to the system when it exits."""

    def render(batch: list[Requirement]) -> int:
        written = 0
        for requirement, pdf in cover_pdfs(batch, units_of, states, today=today):
            with open(os.path.join(folder, f"{requirement.pk}.pdf"), "wb") as handle:
                handle.write(pdf)
            written += 1
        return written

    batches = [requirements[start:start + COVER_BATCH] for start in range(0, len(requirements), COVER_BATCH)]
    if not fork:
        return sum(render(batch) for batch in batches)
    import weasyprint  # noqa: F401 - imported once here, not in every forked batch

    for batch in batches:
        pid = _fork(lambda: render(batch))
        _, status = os.waitpid(pid, 0)
        if status != 0:
            raise RuntimeError(f"封面批次渲染失败（{os.waitstatus_to_exitcode(status)}）。")
    return len(requirements)


def cover_data(requirement_ids: list[int] | None = None, *, campaign: Campaign | None = None, phase_id: int | None = None,
               user: Any = None) -> tuple[list[Requirement], dict, dict]:
    """What the covers show, read in a few queries: the standards (of ``campaign`` or by id, in the
    archive's order) that name units ``user`` sees, those units, and the items' latest states."""
    qs = selectors.requirements_for(campaign, phase_id=phase_id) if campaign is not None else (
        Requirement.objects.filter(pk__in=requirement_ids).select_related("indicator", "phase", "campaign"))
    requirements = list(qs.prefetch_related("items"))
    if requirement_ids is not None:
        order = {pk: n for n, pk in enumerate(requirement_ids)}
        requirements.sort(key=lambda r: order[r.pk])
    units_of = _units_of([r.pk for r in requirements], user)
    requirements = [r for r in requirements if units_of.get(r.pk)]
    unit_ids = list({u.pk for us in units_of.values() for u in us})
    states = selectors.latest_states([r.pk for r in requirements], unit_ids=unit_ids) if unit_ids else {}
    return requirements, units_of, states


def write_covers(requirement_ids: list[int], folder: str, *, user: Any = None, today: dt.date, fork: bool = False) -> int:
    """``manage.py materials_covers``: read and render the covers of ``requirement_ids`` into ``folder``
    (with ``fork`` the database connection is closed first, so no process shares it)."""
    from django.db import connections

    requirements, units_of, states = cover_data(requirement_ids, user=user)
    if fork:
        connections.close_all()
    return render_covers(requirements, units_of, states, folder, today=today, fork=fork)


def build_archive(campaign: Campaign, out: str, *, user: Any = None, phase_id: int | None = None,
                  progress: Progress | None = None, covers: bool = True) -> ArchiveStats:
    """Write the archive to the file ``out``; returns what was written (files missing from storage are listed).

    Three things run side by side, because copying the files is I/O-bound and the machine has more
    than one core: the covers in ``COVER_PROCESSES`` forked processes (:class:`CoverProcesses`, forked
    first), the 目录.xlsx in a forked process (openpyxl, ~216,000 cells for 24,000 files: in a thread it
    held the GIL the copy loop needs), and the copy loop itself. The index rows are known
    before the loop (the entry names are); a file found missing in the loop rewrites them after it."""
    progress = progress or (lambda percent, message: None)
    today = timezone.localdate()
    now = timezone.localtime()
    progress(10, "正在汇总申报材料")
    children = None
    units_of = None
    if covers and covers_in_child():
        # Fork the cover process before reading the rounds: it renders while they are read and copied.
        with_units, units_of, states = cover_data(campaign=campaign, phase_id=phase_id, user=user)
        if with_units:
            children = CoverProcesses(with_units, units_of, states, directory=os.path.dirname(os.path.abspath(out)),
                                      today=today)
    try:
        return _build(campaign, out, user=user, phase_id=phase_id, progress=progress, covers=covers, children=children,
                      units_of=units_of, today=today, now=now)
    finally:
        if children is not None:
            children.cleanup()


def _build(campaign: Campaign, out: str, *, user: Any, phase_id: int | None, progress: Progress, covers: bool,
           children: CoverProcesses | None, units_of: dict | None, today: dt.date, now: dt.datetime) -> ArchiveStats:
    requirements, extra, files = collect(campaign, user=user, phase_id=phase_id, units_of=units_of)
    units_of, states = extra["units_of"], extra["states"]
    by_req = {r.pk: r for r in requirements}
    folders = {r.pk: safe_part(f"{r.indicator.code} {r.indicator.name}") for r in requirements}
    stats = ArchiveStats()
    serial: dict[tuple[int, int], int] = defaultdict(int)
    paths = []
    for f in files:
        key = (f.requirement_id, f.unit.pk)
        serial[key] += 1
        paths.append(f"{folders[f.requirement_id]}/{safe_part(f.unit.name)}/{serial[key]:03d}_{safe_part(f.display_name, 120)}")
    index_rows = [_index_row(by_req[f.requirement_id], f, path) for f, path in zip(files, paths)]
    index = _index_writer(index_rows)
    index.start()
    total = max(len(files), 1)
    local = isinstance(default_storage, FileSystemStorage)
    try:
        with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
            if covers and children is None:
                with_units = [r for r in requirements if units_of.get(r.pk)]
                for n, (req, pdf) in enumerate(cover_pdfs(with_units, units_of, states, today=today) if with_units else [], start=1):
                    zf.writestr(_entry(f"{folders[req.pk]}/{COVER_NAME}", now, zipfile.ZIP_STORED), pdf)
                    if n % 10 == 0:
                        progress(10 + 20 * n // len(with_units), f"正在生成封面（{n}/{len(with_units)}）")
            missing: list[int] = []
            for n, (f, path) in enumerate(zip(files, paths), start=1):
                compress = zipfile.ZIP_STORED if f.content_type in STORED_TYPES else zipfile.ZIP_DEFLATED
                info = _entry(path, now, compress)
                info.file_size = f.size  # lets zipfile decide on ZIP64 for this member up front
                try:
                    # On the local file system a plain open(): Django's File wrapper costs more than the copy of a photo.
                    source = open(default_storage.path(f.storage_name), "rb") if local else default_storage.open(f.storage_name, "rb")
                except (FileNotFoundError, OSError):
                    stats.missing.append(f.storage_name)
                    missing.append(n - 1)
                    continue
                with source, zf.open(info, "w", force_zip64=f.size > 2**31) as target:
                    shutil.copyfileobj(source, target, COPY_BLOCK)
                stats.files += 1
                stats.bytes += f.size
                if n % 200 == 0:
                    progress(30 + 65 * n // total, f"正在打包文件（{n}/{len(files)}）")
            if children is not None:
                progress(94, "正在等待封面生成")
                for req, cover in children.results():
                    zf.write(cover, _entry(f"{folders[req]}/{COVER_NAME}", now, zipfile.ZIP_STORED).filename)
            progress(96, "正在生成目录")
            content = index.result()
            if missing:
                for position in missing:
                    index_rows[position] = _index_row(by_req[files[position].requirement_id], files[position], "（文件缺失，未打包）")
                content = index_xlsx(index_rows)
            zf.writestr(_entry(INDEX_NAME, now, zipfile.ZIP_STORED), content)
    finally:
        index.close()
    return stats


class _IndexThread(threading.Thread):
    """目录.xlsx built beside the copy loop (see :func:`build_archive`), where ``os.fork`` is missing."""

    def __init__(self, rows: list[tuple]) -> None:
        super().__init__(name="material-index", daemon=True)
        self.rows = rows
        self.content = b""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.content = index_xlsx(self.rows)
        except BaseException as error:  # handed to the caller by result()
            self.error = error

    def result(self) -> bytes:
        self.join()
        if self.error is not None:
            raise self.error
        return self.content

    def close(self) -> None:
        self.join()


class _IndexProcess:
    """目录.xlsx built in a forked process beside the copy loop: openpyxl's 24,000 rows are seconds of
    pure Python, which in a thread hold the GIL the copy loop needs; a child runs on the other core.
    The child only writes the workbook to a temporary file and leaves with ``os._exit`` (it never
    touches the parent's database connection or runs its clean-ups)."""

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows
        self.pid = 0
        self.status: int | None = None
        self.file = tempfile.NamedTemporaryFile(prefix="index-", suffix=".xlsx", delete=False)
        self.file.close()

    def start(self) -> None:
        def write() -> None:
            with open(self.file.name, "wb") as handle:
                handle.write(index_xlsx(self.rows))

        self.pid = _fork(write)

    def result(self) -> bytes:
        status = self._wait()
        if status != 0:
            raise RuntimeError(f"目录生成失败（{os.waitstatus_to_exitcode(status)}）。")
        with open(self.file.name, "rb") as handle:
            return handle.read()

    def _wait(self) -> int:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1] if self.pid else 1
        return self.status

    def close(self) -> None:
        """Reap the child and remove its file, also when the archive failed half way."""
        self._wait()
        if os.path.exists(self.file.name):
            os.unlink(self.file.name)


def _index_writer(rows: list[tuple]) -> _IndexProcess | _IndexThread:
    return _IndexProcess(rows) if hasattr(os, "fork") else _IndexThread(rows)


def _index_row(req: Requirement, f: ArchiveFile, path: str) -> tuple:
    return (req.indicator.code, req.indicator.name, f.item.name, f.unit.name, path, f.status, f.reviewer,
            timezone.localtime(f.reviewed_at).strftime("%Y-%m-%d") if f.reviewed_at else "", f.source)


def archive_filename(campaign: Campaign) -> str:
    return file_name(f"{campaign.name}迎检材料", "zip", day=timezone.localdate())


def build_to_temp(campaign: Campaign, *, user: Any = None, params: dict | None = None,
                  progress: Progress | None = None, directory: str | None = None) -> tuple[str, str]:
    """Build into a temporary file (on disk, next to where it will be stored); returns ``(filename, path)``."""
    phase = (params or {}).get("phase")
    fd, path = tempfile.mkstemp(prefix="materials-", suffix=".zip", dir=directory)
    os.close(fd)
    try:
        build_archive(campaign, path, user=user, phase_id=int(phase) if str(phase or "").isdigit() else None, progress=progress)
    except BaseException:
        os.unlink(path)
        raise
    return archive_filename(campaign), path
