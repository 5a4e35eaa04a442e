#!/usr/bin/env python3
"""gunicorn cold start: the first requests after a start, with and without ``--preload``.

    source /tmp/benchenv.sh   # or any production-like environment (DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, …)
    .venv/bin/python scripts/bench_coldstart.py --port 8813 --rounds 3 [--page /login/]

Per round and mode, README's command (``-w 4 --threads 4``, plus ``--preload`` or not) is started on
127.0.0.1; from its launch the script waits until the port accepts, then sends a burst of 16 clients ×
10 GET of ``--page`` (the first 160 requests after a start) and the same burst again (warm). It prints
the time until the port accepts, each burst's p50 / p95 / max, how many of the first 160 took over 1 s,
and when the first burst was done, counted from the launch. Read-only pages only (``/login/``,
``/healthz``): it writes nothing to the database. Standard library only; gunicorn is stopped after each run.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bench_load import percentile  # noqa: E402


def burst(port: int, page: str, clients: int = 16, each: int = 10) -> tuple[list[float], int, float]:
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        for _ in range(each):
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=60) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            with lock:
                times.append(time.perf_counter() - start)
                errors[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors[0], time.perf_counter() - start


def one(port: int, page: str, preload: bool) -> str:
    command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "4",
               "--threads", "4", "--log-level", "warning", *(["--preload"] if preload else [])]
    load = os.getloadavg()[0]
    launched = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("gunicorn 启动失败") from None
                time.sleep(0.02)
        listening = time.perf_counter() - launched
        cold, cold_errors, cold_wall = burst(port, page)
        warm, warm_errors, _ = burst(port, page)
    finally:
        proc.terminate()
        proc.wait(30)
    ms = lambda v: f"{v * 1000:,.0f}"  # noqa: E731
    return (f"| {'--preload' if preload else '(none)'} | {load:.2f} | {ms(listening)} | {ms(percentile(cold, 50))} / "
            f"{ms(percentile(cold, 95))} / {ms(max(cold))} | {sum(t > 1 for t in cold)} | {listening + cold_wall:.1f} s | "
            f"{ms(percentile(warm, 50))} / {ms(percentile(warm, 95))} | {cold_errors + warm_errors} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gunicorn 冷启动：启动后最初的请求（有无 --preload）")
    parser.add_argument("--port", type=int, default=8813)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page", default="/login/")
    args = parser.parse_args(argv)
    print(f"gunicorn -w 4 --threads 4, {args.page}, 16 clients × 10 requests per burst, ms; CPU {os.cpu_count()} cores")
    print("| option | load avg | port accepts after | first 160: p50 / p95 / max | of them > 1 s | first 160 done after launch"
          " | next 160: p50 / p95 | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for _ in range(args.rounds):
        for preload in (False, True):
            print(one(args.port, args.page, preload), flush=True)
            time.sleep(3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
