# Usage: python3 synthetic_view_run.py OUT_DIR
# A synthetic run directory at the viewer issue's scale (mirrors benches/benches/viewer.rs):
# a 2048x2048 raster, 10 000 links between 2 000 nodes, two variants of one state.
import array, json, math, os, sys
out = sys.argv[1]
n, n_nodes, links = 2048, 2000, 10000
cell = 2.0; extent = n * cell
os.makedirs(f"{out}/view/baseline", exist_ok=True); os.makedirs(f"{out}/view/variant", exist_ok=True)
open(f"{out}/manifest.json", "w").write("{}")
nodes = []
for i in range(n_nodes):
    a = i * 2.399963; r = extent * 0.48 * math.sqrt((i + 0.5) / n_nodes)
    nodes.append({"name": f"N{i}", "role": "core" if i < 4 else "cell_site",
                  "x_m": 0.5 * extent + r * math.cos(a), "y_m": 0.5 * extent + r * math.sin(a), "laid_out": False})
lk = [{"name": f"L{j}", "from": j % n_nodes, "to": (j * 7 + 1 + j // n_nodes) % n_nodes, "capacity_bps": 1e10} for j in range(links)]
sx = [math.sin(x * 0.01) for x in range(n)]; cy = [math.cos(y * 0.013) for y in range(n)]
variants = []
for v, name in enumerate(["baseline", "variant"]):
    with open(f"{out}/view/{name}/state-0.bin", "wb") as f:
        for p in range(5):
            a = array.array("f")
            for y in range(n):
                c = cy[y]
                if p == 0: a.extend(-90.0 + 25.0 * sx[x] * c + v for x in range(n))
                elif p == 1: a.extend(10.0 + 12.0 * sx[x] * c for x in range(n))
                elif p == 2: a.extend(float(int(x / 97.0) * 7 + int(y / 83.0)) for x in range(n))
                elif p == 3: a.extend(60.0 + 50.0 * sx[x] * c for x in range(n))
                else: a.extend([2.0] * n)
            a.tofile(f)
    array.array("f", [(k % 97) / 97.0 for k in range(links * 4)]).tofile(open(f"{out}/view/{name}/links.bin", "wb"))
    variants.append({"name": name, "links_file": f"{name}/links.bin",
                     "states": [{"from": 0, "file": f"{name}/state-0.bin", "cells": [], "links_down": [3, 5, 8]}]})
index = {"format": "twin-view", "format_version": 1, "twin_version": "synthetic", "scenario": "synthetic",
         "start": "2025-01-01T00:00:00Z", "interval_s": 3600, "intervals": 4,
         "grid": {"x_min_m": 0.0, "y_min_m": 0.0, "cell_m": cell, "nx": n, "ny": n},
         "planes": ["rsrp_dbm", "sinr_db", "best_server", "throughput_mbps", "status"],
         "buildings": None, "nodes": nodes, "links": lk, "variants": variants}
json.dump(index, open(f"{out}/view/index.json", "w"))
