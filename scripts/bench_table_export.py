"""Streamed table export vs the old in-memory workbook: time and peak memory for N finding-like rows.

Usage: PYTHONPATH=. .venv/bin/python scripts/bench_table_export.py new|old 50000
"""
import datetime as dt, os, resource, sys, time
from decimal import Decimal
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings"); os.environ["DEBUG"] = "1"
import django; django.setup()
from campaign import excel
N = int(sys.argv[2])
headers = ["编号", "发现日期", "计分月份", "检查", "责任单位", "点位", "指标编号", "指标名称", "问题描述", "扣分", "重复问题", "整改时限", "状态", "督查员", "撤销原因"]
def rows():
    for i in range(N):
        yield [i, dt.date(2026, 10, 1 + i % 28), "2026-10", "10月市级现场考核", f"单位{i % 1000}", f"点位{i % 700}", "1.1.1", "主次干道整洁",
               f"路面有积存垃圾，第{i}处", Decimal("0.30"), "", dt.date(2026, 10, 20), "待整改", "李督查", ""]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if sys.argv[1] == "old":
    data = excel.workbook_bytes(excel.table_workbook("问题清单", headers, rows(), number_formats={9: "0.00"}))
    size = len(data)
else:
    h = excel.table_file("问题清单", headers, rows(), number_formats={9: "0.00"})
    size = h.seek(0, 2)
print(sys.argv[1], N, "rows", round(time.perf_counter() - t, 2), "s", "peak RSS growth MB", round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024), "file MB", round(size / 1e6, 1))
