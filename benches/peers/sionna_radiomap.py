#!/usr/bin/env python3
"""Sionna RT's radio map of a scene, written as CSV for comparison with this project's tracer.

One transmitter with the TR 38.901 element pattern (vertical polarisation, boresight along +x,
i.e. azimuth 90 degrees in planning terms), Sionna RT's `RadioMapSolver` on a planar grid of
`--cell` metre cells at `--height`, with `--max-depth` bounces and `--rays` samples. The grid is
given by its south-west corner and its size in cells, so that it can match
`cargo run --release -p radio --example coverage -- --grid-origin X,Y --grid-size NX,NY`.

Prints `sionna_s=<median warm seconds> covered=<fraction> median_pg_db=<value>` and writes
`cell_id,x_m,y_m,path_gain_db` rows (empty where no ray arrived), the same layout as the
coverage example's `--path-gain` file.

Install (see ../shared/PEERS.md):
    python3 -m venv /tmp/sionna-venv && /tmp/sionna-venv/bin/pip install sionna-rt
    apt-get install libllvm19   # LLVM backend on a machine without CUDA
    HOME=/tmp/drjit-home DRJIT_LIBLLVM_PATH=/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1 \\
        /tmp/sionna-venv/bin/python benches/peers/sionna_radiomap.py --out /tmp/sionna_pg.csv
"""

import argparse
import csv
import math
import statistics
import sys
import time


def parse_triple(s: str):
    parts = [float(x) for x in s.split(",")]
    if len(parts) != 3 or not all(math.isfinite(p) for p in parts):
        raise argparse.ArgumentTypeError(f"expected x,y,z, got {s!r}")
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", default="etoile", help="a Sionna built-in scene name or a Mitsuba XML path")
    parser.add_argument("--tx", type=parse_triple, default=[-127.4, 38.1, 60.0],
                        help="transmitter x,y,z in metres (default: 10 m above the Arc de Triomphe)")
    parser.add_argument("--freq", type=float, default=3.5e9)
    parser.add_argument("--grid-origin", default="-426.8,-338.1")
    parser.add_argument("--grid-size", default="171,136")
    parser.add_argument("--cell", type=float, default=5.0)
    parser.add_argument("--height", type=float, default=1.5)
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--rays", type=int, default=1_000_000)
    parser.add_argument("--refraction", choices=["on", "off"], default="off")
    parser.add_argument("--diffraction", choices=["on", "off"], default="off")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import drjit as dr
    import sionna.rt as rt

    x0, y0 = (float(v) for v in args.grid_origin.split(","))
    nx, ny = (int(v) for v in args.grid_size.split(","))
    if nx < 1 or ny < 1 or args.cell <= 0 or args.rays < 1 or args.max_depth < 0:
        print("error: grid size, cell, rays and depth must be positive", file=sys.stderr)
        return 2
    scene_file = getattr(rt.scene, args.scene, args.scene)
    scene = rt.load_scene(scene_file)
    scene.frequency = args.freq
    scene.tx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="tr38901", polarization="V")
    scene.rx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
    scene.add(rt.Transmitter(name="tx", position=args.tx, orientation=[0.0, 0.0, 0.0]))
    solver = rt.RadioMapSolver()
    center = [x0 + nx * args.cell / 2, y0 + ny * args.cell / 2, args.height]
    size = [nx * args.cell, ny * args.cell]

    def solve():
        rm = solver(scene, center=center, orientation=[0.0, 0.0, 0.0], size=size,
                    cell_size=[args.cell, args.cell], samples_per_tx=args.rays,
                    max_depth=args.max_depth, los=True, specular_reflection=True,
                    diffuse_reflection=False, refraction=args.refraction == "on",
                    diffraction=args.diffraction == "on")
        pg = rm.path_gain
        dr.eval(pg)
        dr.sync_thread()
        return rm

    solve()  # warm-up: compiles the kernels
    times = []
    rm = None
    for _ in range(max(1, args.runs)):
        t = time.perf_counter()
        rm = solve()
        times.append(time.perf_counter() - t)
    pg = rm.path_gain.numpy()[0]
    centers = rm.cell_centers.numpy()
    covered = []
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cell_id", "x_m", "y_m", "path_gain_db"])
        for iy in range(pg.shape[0]):
            for ix in range(pg.shape[1]):
                g = float(pg[iy, ix])
                x, y = float(centers[iy, ix, 0]), float(centers[iy, ix, 1])
                if g > 0:
                    db = 10 * math.log10(g)
                    covered.append(db)
                    w.writerow(["TX", f"{x:.2f}", f"{y:.2f}", f"{db:.3f}"])
                else:
                    w.writerow(["TX", f"{x:.2f}", f"{y:.2f}", ""])
    frac = len(covered) / pg.size
    med = statistics.median(covered) if covered else float("nan")
    print(f"sionna_s={statistics.median(times):.4f} runs={[round(t, 4) for t in times]} "
          f"covered={frac:.4f} median_pg_db={med:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
