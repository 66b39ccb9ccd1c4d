#!/usr/bin/env python3
"""Side by side with Sionna RT: the same coverage map in both tools, timed and compared.

Runs this project's coverage example and `sionna_radiomap.py` on the same scene (Sionna's copy of
Etoile, which both read), transmitter (10 m above the Arc de Triomphe, TR 38.901 element facing
east), grid (5 m cells at 1.5 m), depth (3) and rays (10^6), alternating the runs, then compares
the path gain on the cells both tools cover. Prints a Markdown table for benches/README.md.

    cargo build --release -p radio --example coverage
    HOME=/tmp/drjit-home DRJIT_LIBLLVM_PATH=/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1 \\
        python3 benches/peers/compare_radiomap.py --sionna-python /tmp/sionna-venv/bin/python

Configurations compared (each tool's timing is the median of `--runs` warm runs):
  * reflections: line of sight + specular reflections, no refraction, no diffraction, in both;
  * defaults: Sionna's RadioMapSolver defaults (refraction on) against ours with knife-edge
    diffraction on.
"""

import argparse
import csv
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_pg(path):
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (round(float(row["x_m"]), 1), round(float(row["y_m"]), 1))
            v = row["path_gain_db"]
            out[key] = float(v) if v else None
    return out


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[i]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sionna-python", default="/tmp/sionna-venv/bin/python")
    parser.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rays", type=int, default=1_000_000)
    parser.add_argument("--tx", default="-127.4,38.1,60.0", help="x,y,z in metres (write --tx=-1,2,3)")
    args = parser.parse_args()

    coverage = os.path.join(args.target_dir, "release", "examples", "coverage")
    if not os.path.exists(coverage):
        raise SystemExit(f"{coverage} not found: run `cargo build --release -p radio --example coverage` first")
    probe = subprocess.run([args.sionna_python, "-c", "import sionna.rt, os; print(os.path.dirname(sionna.rt.__file__))"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SystemExit(f"Sionna RT is not importable with {args.sionna_python}: {probe.stderr.strip()}")
    scene_xml = os.path.join(probe.stdout.strip(), "scenes", "etoile", "etoile.xml")
    x, y, z = (float(v) for v in args.tx.split(","))
    grid_origin, grid_size = "-426.8,-338.1", "171,136"
    tmp = tempfile.mkdtemp(prefix="twin-radiomap-")
    cells = os.path.join(tmp, "cells.csv")
    with open(cells, "w") as f:
        f.write("cell_id,site_id,x_m,y_m,height_m,azimuth_deg,mech_tilt_deg,elec_tilt_deg,"
                "tx_power_dbm,freq_hz,bandwidth_hz,pattern\n")
        f.write(f"TX,ARC,{x},{y},{z},90,0,0,46,3.5e9,100e6,38901\n")

    def ours(diffraction: bool):
        pg = os.path.join(tmp, f"ours_{diffraction}.csv")
        cmd = [coverage, "--scene", scene_xml, "--cells", cells, "--out", os.path.join(tmp, "kpi.csv"),
               "--path-gain", pg, f"--grid-origin={grid_origin}", "--grid-size", grid_size,
               "--rays", str(args.rays), "--repeat", str(args.runs)]
        if not diffraction:
            cmd.append("--no-diffraction")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        m = re.search(r"depth \d+, ([0-9.]+) s \(median", out.stderr)
        if not m:
            raise SystemExit(f"no timing in the coverage example's output:\n{out.stderr}")
        return float(m.group(1)), pg

    def sionna(refraction: bool):
        pg = os.path.join(tmp, f"sionna_{refraction}.csv")
        env = dict(os.environ)
        env.setdefault("DRJIT_LIBLLVM_PATH", "/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1")
        cmd = [args.sionna_python, os.path.join(HERE, "sionna_radiomap.py"), "--out", pg, f"--tx={args.tx}",
               f"--grid-origin={grid_origin}", "--grid-size", grid_size, "--rays", str(args.rays),
               "--runs", str(args.runs), "--refraction", "on" if refraction else "off"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        m = re.search(r"sionna_s=([0-9.]+)", out.stdout)
        if not m:
            raise SystemExit(f"no timing in sionna_radiomap.py's output:\n{out.stdout}\n{out.stderr}")
        return float(m.group(1)), pg

    rows = []
    for label, diffraction, refraction in [("reflections only (matched physics)", False, False),
                                            ("each tool's defaults", True, True)]:
        t_sionna, pg_sionna = sionna(refraction)
        t_ours, pg_ours = ours(diffraction)
        a, b = read_pg(pg_ours), read_pg(pg_sionna)
        both = [(a[k], b[k]) for k in a if k in b and a[k] is not None and b[k] is not None]
        diffs = sorted(o - s for o, s in both)
        absd = sorted(abs(d) for d in diffs)
        cov_a = sum(v is not None for v in a.values()) / len(a)
        cov_b = sum(v is not None for v in b.values()) / len(b)
        rows.append((label, t_ours, t_sionna, cov_a, cov_b, len(both), diffs, absd))

    print("| configuration | ours (s) | Sionna RT (s) | ratio ours/Sionna | cells covered, ours | cells covered, Sionna | cells both cover | median abs. diff (dB) | diff p5 / p25 / p50 / p75 / p95 (dB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, t_ours, t_sionna, cov_a, cov_b, n, diffs, absd in rows:
        print(f"| {label} | {t_ours:.3f} | {t_sionna:.3f} | {t_ours / t_sionna:.2f} | {100 * cov_a:.1f} % | "
              f"{100 * cov_b:.1f} % | {n} | {statistics.median(absd):.2f} | "
              + " / ".join(f"{percentile(diffs, q):+.1f}" for q in (0.05, 0.25, 0.5, 0.75, 0.95)) + " |")
    print()
    for label, *_rest, diffs, absd in rows:
        hist = {}
        for d in diffs:
            b = max(-12, min(12, int(math.floor(d / 2.0)) * 2))
            hist[b] = hist.get(b, 0) + 1
        print(f"{label}: distribution of ours − Sionna over cells both cover (2 dB bins, edges clamped at ±12 dB)")
        for b in sorted(hist):
            bar = "#" * max(1, round(60 * hist[b] / len(diffs)))
            print(f"  [{b:+3d}, {b + 2:+3d}) {100 * hist[b] / len(diffs):5.1f} % {bar}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
