#!/usr/bin/env python3
"""Runs the packet-simulator comparison with ns-3: the same scenarios in both, alternately.

Scenarios (see ns3_dumbbell.cc and transport/examples/dumbbell.rs): Poisson sources of 1030-byte
packets at 90 % of a 100 Mbit/s bottleneck with 1 ms propagation, 10^6 packets; `single` is one
link (an M/D/1 queue), `dumbbell` has 10 senders on 1 Gbit/s access links. The table reports the
median packets per second of wall time of each tool over `--runs` runs, their ratio, and the mean
one-way delay of each with this project's 95 % confidence interval (10 replications) and M/D/1
theory. Set up and run:

    sudo apt-get install -y libns3-dev libgsl-dev pkg-config g++
    cargo build --release -p transport --examples
    python3 benches/peers/compare_transport.py

The ns-3 program is compiled with g++ -O2 into the target directory on first use.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NS3_MODULES = "ns3-core ns3-network ns3-internet ns3-point-to-point ns3-applications ns3-traffic-control"


def run(cmd: list[str]) -> dict[str, str]:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return dict(re.findall(r"(\w+)=(\[[^\]]*\]|\S+)", out))


def build_ns3(target: str) -> str:
    exe = os.path.join(target, "ns3_dumbbell")
    src = os.path.join(HERE, "ns3_dumbbell.cc")
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", *NS3_MODULES.split()],
                           check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["g++", "-O2", "-std=c++17", src, "-o", exe, *flags], check=True)
    return exe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
    args = parser.parse_args()
    ours_exe = os.path.join(args.target_dir, "release", "examples", "dumbbell")
    if not os.path.exists(ours_exe):
        raise SystemExit(f"{ours_exe} not found: run `cargo build --release -p transport --examples` first")
    ns3_exe = build_ns3(args.target_dir)

    rows, details = [], []
    for scenario in ("single", "dumbbell"):
        ours, peer, ours_delay, peer_delay = [], [], None, []
        for r in range(args.runs):
            o = run([ours_exe, "--scenario", scenario, "--flows", "10", "--packets", str(args.packets)])
            p = run([ns3_exe, f"--scenario={scenario}", "--flows=10", f"--packets={args.packets}", f"--seed={r + 1}"])
            ours.append(float(o["packets_per_s"]))
            peer.append(float(p["packets_per_s"]))
            ours_delay = o
            peer_delay.append(float(p["mean_delay_us"]))
        mo, mp = statistics.median(ours), statistics.median(peer)
        lo, hi = (float(x) for x in ours_delay["ci95_us"].strip("[]").split(","))
        pd = statistics.mean(peer_delay)
        rows.append(
            f"| {scenario} | {mo:,.0f} | {mp:,.0f} | {mo / mp:.1f}× | {ours_delay['mean_delay_us']} [{lo:.1f}, {hi:.1f}] "
            f"| {pd:.1f} ({'inside' if lo <= pd <= hi else 'OUTSIDE'}) | {float(ours_delay['theory_us']):.1f} |"
        )
        details.append(f"{scenario}: ours {[round(x) for x in ours]} pkt/s, ns-3 {[round(x) for x in peer]} pkt/s, "
                       f"ns-3 mean delays {[round(x, 1) for x in peer_delay]} µs")
    print("| scenario | this project (pkt/s, median) | ns-3 3.37 (pkt/s, median) | ratio | our mean delay, µs [95 % CI] "
          "| ns-3 mean delay, µs (in our CI?) | M/D/1 theory, µs |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
