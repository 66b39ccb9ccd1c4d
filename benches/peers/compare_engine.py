#!/usr/bin/env python3
"""Runs the event-engine models in this project and in SimPy, alternately, and prints a table.

Each model runs `--runs` times in each tool (alternating, so both see the same machine state);
the table reports medians and the ratio of medians. Build the Rust examples first:

    cargo build --release -p sim-core --examples
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install simpy
    python3 benches/peers/compare_engine.py --python /tmp/venv/bin/python

Rust runs use the full sizes (10^7 hold events, 10^6 customers); SimPy runs use 10^6 hold events
and the same 10^6 customers (a rate does not depend on the run length once past the start-up).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def figure(cmd: list[str], key: str) -> float:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    m = re.search(rf"\b{key}=([0-9.]+)", out)
    if not m:
        raise SystemExit(f"no {key}= in the output of {' '.join(cmd)}:\n{out}")
    return float(m.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="a Python with simpy installed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
    args = parser.parse_args()
    ex = os.path.join(args.target_dir, "release", "examples")
    for name in ("hold", "mm1"):
        if not os.path.exists(os.path.join(ex, name)):
            raise SystemExit(f"{ex}/{name} not found: run `cargo build --release -p sim-core --examples` first")

    cases = [
        ("hold, 1 000 pending", "events_per_s",
         [os.path.join(ex, "hold"), "--pending", "1000", "--events", "10000000"],
         [args.python, os.path.join(HERE, "simpy_hold.py"), "--pending", "1000", "--events", "1000000"]),
        ("M/M/1, λ 0.9, μ 1, 10^6 customers", "customers_per_s",
         [os.path.join(ex, "mm1"), "--lambda", "0.9", "--mu", "1.0", "--customers", "1000000"],
         [args.python, os.path.join(HERE, "simpy_mm1.py"), "--lambda", "0.9", "--mu", "1.0", "--customers", "1000000"]),
    ]
    rows, details = [], []
    for label, key, ours_cmd, peer_cmd in cases:
        ours, peer = [], []
        for _ in range(args.runs):
            ours.append(figure(ours_cmd, key))
            peer.append(figure(peer_cmd, key))
        mo, mp = statistics.median(ours), statistics.median(peer)
        rows.append(f"| {label} | {key} | {mo:,.0f} | {mp:,.0f} | {mo / mp:.1f}× |")
        details.append(f"{label}: ours {[round(x) for x in ours]}, SimPy {[round(x) for x in peer]}")
    print("| model | figure | this project (median) | SimPy (median) | ratio |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
