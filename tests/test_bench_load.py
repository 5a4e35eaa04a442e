"""The load script's pure parts (scripts/bench_load.py): percentiles, request sharing, the result table."""
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_load", ROOT / "scripts" / "bench_load.py")
bench_load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = bench_load  # dataclasses look their module up
_spec.loader.exec_module(bench_load)


def test_percentile_interpolates_between_ranks():
    values = [0.4, 0.1, 0.3, 0.2, 1.0]  # sorted: 0.1 0.2 0.3 0.4 1.0
    assert bench_load.percentile(values, 50) == pytest.approx(0.3)
    # p95: position 0.95 * 4 = 3.8 -> 0.4 + 0.8 * (1.0 - 0.4) = 0.88
    assert bench_load.percentile(values, 95) == pytest.approx(0.88)
    # p25: position 1.0 -> exactly the second value
    assert bench_load.percentile(values, 25) == pytest.approx(0.2)
    assert bench_load.percentile([7.0], 95) == 7.0
    assert bench_load.percentile([1.0, 2.0], 50) == pytest.approx(1.5)


def test_percentile_refuses_nothing_to_measure():
    with pytest.raises(ValueError):
        bench_load.percentile([], 50)
    with pytest.raises(ValueError):
        bench_load.percentile([1.0], 101)


def test_requests_are_shared_evenly_among_allowed_clients_only():
    assert bench_load.share_requests(30, [0, 2, 5, 7]) == {0: 8, 2: 8, 5: 7, 7: 7}
    assert sum(bench_load.share_requests(30, list(range(10))).values()) == 30
    assert bench_load.share_requests(30, []) == {}


def _result(label, single, load, errors=0):
    return bench_load.PageResult(label, single=single, load=load, errors=errors, size=12_000)


def test_table_divides_each_p95_by_the_login_pages_p95():
    results = [
        _result("/login/", [0.010, 0.020, 0.030], [0.100, 0.100, 0.200]),  # p95 = 0.19
        _result("排名", [0.100, 0.120, 0.140], [0.500, 0.900, 1.000]),  # p95 = 0.99 -> 5.2×: over
        _result("问题清单", [0.040, 0.050, 0.060], [0.300, 0.400, 0.500]),  # p95 = 0.49 -> 2.6×
    ]
    lines, ok = bench_load.result_table(results)
    assert not ok
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["/login/"][1:5] == ["20", "100", "190", "1.0×"]
    assert rows["排名"][1:5] == ["120", "900", "990", "5.2×"]
    assert rows["排名"][-1] == "否"
    assert rows["问题清单"][1:5] == ["50", "400", "490", "2.6×"]
    assert rows["问题清单"][-1] == "是"


def test_table_fails_a_page_slow_alone_or_with_errors_even_within_the_ratio():
    base = _result("/login/", [0.01], [0.2, 0.2])
    slow_alone = _result("首页", [0.151], [0.3, 0.3])  # 151 ms single-user p50: over 150 ms
    assert bench_load.result_table([base, slow_alone])[1] is False
    erring = _result("首页", [0.05], [0.3, 0.3], errors=1)
    assert bench_load.result_table([base, erring])[1] is False
    fine = _result("首页", [0.149], [0.3, 0.3])
    assert bench_load.result_table([base, fine])[1] is True


def test_labels_with_chinese_characters_keep_the_columns_aligned():
    assert bench_load.pad("任务看板", 10) == "任务看板  "
    assert bench_load.pad("/login/", 10) == "/login/   "
