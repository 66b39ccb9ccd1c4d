#!/usr/bin/env python3
"""The hold model in SimPy, for comparison with `cargo run --release -p sim-core --example hold`.

`--pending` processes each loop on `yield env.timeout(expovariate(1.0))`, so the event list
always holds `--pending` timeouts; the run stops after `--events` timeouts have fired. Prints
`events_per_s=<value>` (wall-clock, set-up excluded), the same figure as the Rust example.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install simpy
    /tmp/venv/bin/python benches/peers/simpy_hold.py --pending 1000 --events 1000000
"""

import argparse
import random
import sys
import time

import simpy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.pending < 1 or args.events < 1:
        print("error: --pending and --events must be at least 1", file=sys.stderr)
        return 2

    env = simpy.Environment()
    rng = random.Random(args.seed)
    done = env.event()
    handled = 0

    def holder():
        nonlocal handled
        while True:
            yield env.timeout(rng.expovariate(1.0))
            handled += 1
            if handled == args.events and not done.triggered:
                done.succeed()

    for _ in range(args.pending):
        env.process(holder())
    started = time.perf_counter()
    env.run(until=done)
    wall = time.perf_counter() - started
    print(f"events_per_s={handled / wall:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
