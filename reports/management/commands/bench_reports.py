"""Benchmark the monthly reports against bare baselines, in the same run.

    python manage.py bench_reports                    # 1,000 synthetic units, hand-built scores
    python manage.py bench_reports --campaign bench-city --month 2025-06   # real data (after bench_scoring)

For each measurement a forked child process does the work, so every figure is
that render's own wall time and peak resident memory (RSS, which includes
WeasyPrint's C libraries; tracemalloc would miss them):

- workbook: ``render_workbook_xlsx`` vs openpyxl write-only writing the same
  cells as plain values (no styles, widths or filters);
- bulletin, ranking section (no appendix) vs WeasyPrint on a minimal HTML
  table of the same ranking rows;
- with ``--full``: the complete bulletin (with the appendix of every deduction
  line) vs WeasyPrint on a minimal HTML table of the same rows.

- with ``--chunked`` (issue 14): only the full bulletin, rendered in parts by
  ``--processes`` processes at once and merged (what the workers do) against
  the single WeasyPrint document (before).

Targets (issue 6): workbook ≤ 1.5× its baseline; ranking section ≤ 1.5× its
baseline and < 1.5 GiB peak. Figures go to docs/benchmarks.md.
"""
from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import random
import resource
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.html import escape
from openpyxl import Workbook

from campaign.models import Campaign
from campaign.pdf import CJK_FONT_FAMILY, html_to_pdf
from campaign.periods import parse_month
from reports.data import FindingRow, ReportData, TaskRow, build_report_data
from reports.renderers import render_bulletin_pdf, render_workbook_xlsx
from reports.scoring import KIND_LABELS, ScoreLine, UnitScore

# Real names from the source work plans, combined into 1,000 plausible units.
STREETS = ["城东", "城西", "城南", "城北", "口岸", "刁铺", "野徐", "永安洲", "白马", "许庄", "胡庄", "大泗", "泰东", "海陵", "凤凰", "京泰"]
SUFFIXES = ["社区", "村", "街道", "镇"]
DEPTS = ["城管局", "住建局", "交通运输局", "市场监管局", "卫健委", "教育局", "公安局", "生态环境局", "文广旅局", "商务局"]
DESCRIPTIONS = [
    "主干道两侧垃圾未及时清运", "占道经营、店外经营", "公益广告破损未更换", "非机动车乱停乱放",
    "农贸市场划行归市不到位", "背街小巷卫生死角", "建筑工地围挡破损", "小区楼道堆放杂物",
]
D = Decimal


def synthetic_month(units: int = 1000, seed: int = 2026) -> ReportData:
    """Hand-built scores for ``units`` units in three ranking groups, about 5 lines each."""
    rng = random.Random(seed)
    groups = {"乡镇街道组": [], "社区组": [], "市直部门组": []}
    findings: list[FindingRow] = []
    tasks: list[TaskRow] = []
    codes = [f"{a}.{b}.{c}" for a in range(1, 9) for b in range(1, 5) for c in range(1, 4)]
    month = dt.date(2026, 10, 1)
    fid = 0
    for i in range(units):
        if i % 10 == 0:
            name, group = f"市{DEPTS[i // 10 % len(DEPTS)]}第{i // 100 + 1}分局", "市直部门组"
        else:
            name = f"{STREETS[i % len(STREETS)]}{i:04d}{SUFFIXES[i % len(SUFFIXES)]}"
            group = "乡镇街道组" if i % 5 == 1 else "社区组"
        lines = []
        for _ in range(rng.randint(0, 10)):
            fid += 1
            code = rng.choice(codes)
            points = D(rng.choice(["0.10", "0.20", "0.30", "1.00"]))
            description = rng.choice(DESCRIPTIONS)
            found = month + dt.timedelta(days=rng.randint(0, 27))
            lines.append(ScoreLine("finding", f"点位{fid % 1500}：{description}", -points, code, f"点位{fid % 1500}", found, "inspections.finding", fid))
            accepted = found + dt.timedelta(days=rng.randint(1, 12)) if rng.random() < 0.8 else None
            deadline = found + dt.timedelta(days=7)
            findings.append(FindingRow(
                finding_id=fid, unit_id=i, unit_name=name, indicator_code=code, indicator_name=f"测评标准{code}",
                point_name=f"点位{fid % 1500}", description=description, points=points, found_on=found,
                rectify_deadline=deadline, status_label="已销号" if accepted else "待整改", accepted_on=accepted,
                on_time=accepted is not None and accepted <= deadline, overdue=accepted is None and deadline < dt.date(2026, 11, 5),
            ))
        if rng.random() < 0.2:
            lines.append(ScoreLine("task", "任务逾期：公益广告占比达到20%", D("-1.00"), date=dt.date(2026, 10, 31)))
            tasks.append(TaskRow(name, f"{i}", "公益广告占比达到20%", dt.date(2026, 10, 31), "进行中", None, None))
        if rng.random() < 0.05:
            lines.append(ScoreLine("bonus", "获评省级文明单位", D("1.00")))
        deductions = -sum((line.points for line in lines if line.points < 0), D("0"))
        bonus = sum((line.points for line in lines if line.points > 0), D("0"))
        score = D("100.00") - deductions + bonus
        groups[group].append(UnitScore(
            unit_id=i, unit_name=name, unit_type="community", ranking_group=group, full_score=D("100.00"),
            finding_deductions=deductions, penalty_deductions=D("0.00"), task_deductions=D("0.00"), bonus=bonus,
            corrections=D("0.00"), pass_rate=None, score=score, score_rate=score / 100, rank=0,
            change=D(rng.randint(-300, 300)) / 100, lines=lines,
        ))
    ordered: list[tuple[str, list[UnitScore]]] = []
    for group, members in groups.items():
        members.sort(key=lambda u: (-u.score, u.unit_name))
        rank = 0
        for n, u in enumerate(members):
            if n == 0 or u.score != members[n - 1].score:
                rank = n + 1
            u.rank = rank
        ordered.append((group, members))
    return build_report_data(
        campaign_name="泰和市2026年创建全国文明城市", city_name="泰和市", year=2026, month=month, is_published=True,
        units=[u for _, members in ordered for u in members], groups=ordered, findings=findings, tasks=tasks,
        indicator_names={c: f"测评标准{c}" for c in codes}, as_of=dt.date(2026, 11, 5), kind_label="全国文明城市",
    )


# ---------------------------------------------------------------- baselines

def _ranking_rows(data: ReportData) -> list[list[Any]]:
    return [
        [group, u.rank, u.unit_name, u.finding_deductions, u.penalty_deductions, u.task_deductions, u.bonus,
         u.corrections, u.score, u.change]
        for group, members in data.groups for u in members
    ]


def _line_rows(data: ReportData) -> list[list[Any]]:
    return [
        [u.unit_name, KIND_LABELS.get(line.kind, line.kind), line.indicator_code, line.point_name, line.label,
         line.date, line.points, data.rectification_for(line)]
        for u in data.units for line in u.lines
    ]


def baseline_pdf(rows: list[list[Any]]) -> bytes:
    """WeasyPrint on one bare table (CJK font on html, like the bulletin, so glyphs are comparable)."""
    body = "".join("<tr>" + "".join(f"<td>{escape('' if v is None else v)}</td>" for v in row) + "</tr>" for row in rows)
    style = f"<style>html {{ font-family: {CJK_FONT_FAMILY}; font-size: 10.5pt; }}</style>"
    return html_to_pdf(f"<html><head>{style}</head><body><table>{body}</table></body></html>")


def baseline_workbook(data: ReportData) -> bytes:
    """openpyxl write-only mode, the same cells as plain values, nothing else."""
    wb = Workbook(write_only=True)
    sheets = {
        "排名": _ranking_rows(data),
        "扣分明细": _line_rows(data),
        "指标失分": [[u.unit_name, u.ranking_group, *[data.matrix.get(u.unit_id, {}).get(c) for c in data.matrix_codes]]
                 for u in data.units],
        "整改情况": [[f.unit_name, f.indicator_code, f.indicator_name, f.point_name, f.description, f.points, f.found_on,
                  f.rectify_deadline, f.status_label, f.accepted_on, f.rectification_label] for f in data.findings],
        "任务完成": [[t.unit_name, t.code, t.title, t.deadline, t.status_label, t.completed_on, t.on_time] for t in data.tasks],
    }
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["列"] * (len(rows[0]) if rows else 1))
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- measuring

def _rss_mib() -> float:
    """Peak RSS of this process or of the largest child it waited for (the chunked bulletin's parts)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux: KiB


# The chunked bulletin (issue 14): the parts' inputs, inherited by the forked pool processes.
_PAYLOADS: list[dict] = []


def _render_payload(index: int) -> Any:
    from reports.renderers import render_bulletin_part

    return render_bulletin_part(_PAYLOADS[index])


def chunked_bulletin(data: ReportData, *, max_rows: int, processes: int) -> bytes:
    """The full bulletin as the workers make it: parts rendered by ``processes`` processes at once
    (like two Celery worker processes), then merged in this one."""
    from reports.renderers import bulletin_part_payload, merge_bulletin_parts, plan_bulletin_chunks

    plan = plan_bulletin_chunks(data, max_rows=max_rows)
    _PAYLOADS[:] = [bulletin_part_payload(data, p) for p in plan]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        # The front first (the ranking of every unit: the longest part, as the workers get it), then the
        # largest parts, so the processes finish together.
        order = sorted(range(len(plan)), key=lambda i: (not plan[i].front,
                                                        -sum(len(item["lines"]) for item in _PAYLOADS[i].get("items", []))))
        rendered = dict(zip(order, pool.map(_render_payload, order, chunksize=1)))
    parts = [rendered[i] for i in range(len(plan))]
    merged, _outline = merge_bulletin_parts(parts, title=data.title, filename=f"{data.title}.pdf")
    return merged.content


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _child(fn: Callable[[], bytes], conn: Any) -> None:
    start_rss = _rss_mib()
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    content = fn()
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - start_cpu
    pages = 0
    if content[:4] == b"%PDF":  # counted after the clock stopped
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(content)).pages)
    conn.send((seconds, _rss_mib(), start_rss, len(content), cpu, pages))
    conn.close()


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "—"


def measure(fn: Callable[[], bytes]) -> tuple[float, float, float, int, float, int]:
    """(seconds, peak RSS MiB, RSS MiB at start, output bytes, CPU seconds incl. children, PDF pages),
    in a forked child."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(fn, child))
    process.start()
    result = parent.recv()
    process.join()
    if process.exitcode:
        raise CommandError(f"测量进程异常退出（{process.exitcode}）")
    return result


class Command(BaseCommand):
    help = "测试月度通报 PDF 和考核数据 Excel 的生成时间与峰值内存（与裸基线对比）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--units", type=int, default=1000, help="合成数据的单位数（默认 1000）")
        parser.add_argument("--campaign", help="改用数据库中的创建活动（slug），如 bench_scoring 生成的 bench-city")
        parser.add_argument("--month", help="与 --campaign 一起使用，如 2025-06")
        parser.add_argument("--repeat", type=int, default=3, help="每项测量次数，取中位数（默认 3）")
        parser.add_argument("--full", action="store_true", help="同时测完整通报（含全部扣分明细附件，较慢）")
        parser.add_argument("--chunked", action="store_true",
                            help="只测完整通报：分块并行生成并合并（本项）对比整份单文档生成（基线）")
        parser.add_argument("--processes", type=int, default=2, help="分块并行的进程数（默认 2，与 worker 并发数相同）")
        parser.add_argument("--chunk-rows", type=int, default=None, help="每块最多明细行数（默认取 REPORT_CHUNK_ROWS）")
        parser.add_argument("--no-baseline", action="store_true",
                            help="不测基线（--chunked 时基线为整份单文档通报，约 3 分钟、5 GB；make bench 不测）")

    def handle(self, *args, **opts) -> None:
        if opts["campaign"]:
            from reports.data import report_data

            campaign = Campaign.objects.filter(slug=opts["campaign"]).first()
            if campaign is None or not opts["month"]:
                raise CommandError("请提供存在的 --campaign 和 --month。")
            data = report_data(campaign=campaign, month=parse_month(opts["month"]))
        else:
            data = synthetic_month(opts["units"])
        lines = sum(len(u.lines) for u in data.units)
        self.stdout.write(
            f"数据：{len(data.units)} 个单位，{lines} 条得分明细，{len(data.findings)} 个问题，{len(data.tasks)} 项任务"
        )
        ranking_rows, all_rows = _ranking_rows(data), _ranking_rows(data) + _line_rows(data)
        pairs = [
            ("Excel 考核数据", lambda: render_workbook_xlsx(data).content, lambda: baseline_workbook(data)),
            ("通报·排名部分", lambda: render_bulletin_pdf(data, appendix=False).content, lambda: baseline_pdf(ranking_rows)),
        ]
        if opts["full"]:
            pairs.append(("通报·完整（含附件）", lambda: render_bulletin_pdf(data).content, lambda: baseline_pdf(all_rows)))
        if opts["chunked"]:
            from django.conf import settings

            rows_per_chunk = opts["chunk_rows"] or settings.REPORT_CHUNK_ROWS
            pairs = [(
                f"通报·分块{opts['processes']}进程",
                lambda: chunked_bulletin(data, max_rows=rows_per_chunk, processes=opts["processes"]),
                lambda: render_bulletin_pdf(data).content,
            )]
        header = (f"{'项目':<14}{'耗时(秒)':>10}{'基线(秒)':>10}{'倍数*':>8}{'峰值RSS(MiB)':>14}{'基线RSS':>10}{'大小(KiB)':>11}"
                  f"{'CPU(秒)':>10}{'基线CPU':>10}")
        self.stdout.write(f"测量前平均负载（/proc/loadavg）：{_loadavg()}")
        self.stdout.write(header)
        for label, ours, bare in pairs:
            # Interleaved, so both sides see the same machine load; the ratio is the median of the pairs.
            runs, base = [], []
            for _ in range(opts["repeat"]):
                runs.append(measure(ours))
                if not opts["no_baseline"]:
                    base.append(measure(bare))
            base = base or [(float("nan"),) * 6]
            t = sorted(r[0] for r in runs)[len(runs) // 2]
            b = sorted(r[0] for r in base)[len(base) // 2]
            ratio = sorted(r[0] / q[0] for r, q in zip(runs, base))[len(runs) // 2]
            self.stdout.write(
                f"{label:<14}{t:>10.2f}{b:>10.2f}{ratio:>8.2f}{max(r[1] for r in runs):>14.0f}"
                f"{max(r[1] for r in base):>10.0f}{runs[0][3] / 1024:>11.0f}"
                f"{sorted(r[4] for r in runs)[len(runs) // 2]:>10.2f}{sorted(r[4] for r in base)[len(base) // 2]:>10.2f}"
            )
            self.stdout.write(f"  {label}：{runs[0][5]} 页；测量后平均负载（/proc/loadavg）{_loadavg()}")
        self.stdout.write("* 倍数为交替测量的各对（本项/基线）耗时比的中位数；耗时为各自的中位数。峰值 RSS 为子进程最大常驻内存。"
                          "CPU 为测量进程及其子进程的 CPU 时间（机器繁忙时比耗时更稳定）。")
        self.stdout.write("目标：Excel ≤ 1.5× 基线；通报排名部分 ≤ 1.5× 基线且峰值内存 < 1.5 GiB。")
        if opts["chunked"]:
            self.stdout.write("--chunked：基线为整份单文档通报（分块前的做法）；本项峰值 RSS 为合并进程与各分块进程中的最大值。")
