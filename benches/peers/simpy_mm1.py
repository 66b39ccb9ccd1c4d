#!/usr/bin/env python3
"""M/M/1 (or M/D/1) in SimPy, for comparison with `cargo run --release -p sim-core --example mm1`.

The canonical SimPy formulation: a source process creates customers with exponential gaps; each
customer requests a `simpy.Resource` of capacity 1, holds it for its service time and records its
sojourn. The first 1 % of customers are a warm-up, as in the Rust example. Prints
`mean_sojourn=<value> theory=<value> customers_per_s=<value> wall_s=<value> events_per_s=<value>`,
where events are SimPy's scheduled events.

    /tmp/venv/bin/python benches/peers/simpy_mm1.py --lambda 0.9 --mu 1.0 --customers 1000000
"""

import argparse
import math
import random
import sys
import time

import simpy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lambda", dest="lam", type=float, default=0.9)
    parser.add_argument("--mu", type=float, default=1.0)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--service", choices=["exponential", "deterministic"], default="exponential")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (args.lam > 0 and args.mu > 0 and math.isfinite(args.lam) and math.isfinite(args.mu)):
        print("error: --lambda and --mu must be finite and > 0", file=sys.stderr)
        return 2
    if args.customers < 1000:
        print("error: --customers must be at least 1000", file=sys.stderr)
        return 2

    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    arrivals = random.Random(args.seed)
    services = random.Random(args.seed + 1)
    warmup = args.customers // 100
    total = 0.0
    measured = 0

    def service_time() -> float:
        if args.service == "exponential":
            return services.expovariate(args.mu)
        return 1.0 / args.mu

    def customer(index: int):
        nonlocal total, measured
        arrived = env.now
        with server.request() as req:
            yield req
            yield env.timeout(service_time())
        if index >= warmup:
            total += env.now - arrived
            measured += 1

    def source():
        for i in range(args.customers):
            yield env.timeout(arrivals.expovariate(args.lam))
            env.process(customer(i))

    env.process(source())
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    rho = args.lam / args.mu
    if rho >= 1:
        theory = math.inf
    elif args.service == "exponential":
        theory = 1.0 / (args.mu - args.lam)
    else:
        theory = 1.0 / args.mu + rho / (2 * args.mu * (1 - rho))
    events = next(env._eid)  # SimPy's counter of scheduled events
    print(
        f"mean_sojourn={total / measured:.4f} theory={theory:g} "
        f"customers_per_s={args.customers / wall:.0f} wall_s={wall:.3f} events_per_s={events / wall:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
