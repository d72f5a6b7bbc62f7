"""Cost of drawing and building Cerebros plans, and how big default plans are.

Run ``python -m benchmarks.bench_plans`` (``--help`` for the options). It
prints a Markdown table with

1. the time to sample one plan from the default :class:`CerebrosSpace`
   (median over many draws; pure Python, no Keras);
2. the time to build the largest plan the default space allows into a Keras
   model: the first build in the process (which also warms TensorFlow up),
   then the median of a few more, the Keras session cleared before each;
3. the parameter count over many sampled default plans (min, quartiles, max),
   and how often a plan has lateral and gated connections.

The largest plan has every range at its maximum (4 levels of 4 units of 64
neurons). With ``"ceil"`` and affinity 1 the predecessor draws are already
complete, so only laterals vary: it is wired with every lateral try
succeeding, the most the consecutive limit lets through. Any such pattern has
a positive probability under the default ``p_lateral``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from sklearn_cerebros.architecture import (  # noqa: E402
    CerebrosSpace,
    Structure,
    connection_counts,
    sample_plan,
    wire,
)


def largest_plan(space: CerebrosSpace):
    n_levels, n_units, n_neurons = (
        space.levels[1],
        space.units_per_level[1],
        space.neurons_per_unit[1],
    )
    structure = Structure(((n_neurons,) * n_units,) * n_levels)
    every_try = dataclasses.replace(space, p_lateral=1.0, lateral_decay="none")
    return wire(every_try, structure, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--builds", type=int, default=5)
    args = parser.parse_args()

    space = CerebrosSpace()
    rng = np.random.default_rng(0)
    sample_times, plans = [], []
    for _ in range(args.samples):
        start = time.perf_counter()
        plans.append(sample_plan(space, args.features, rng))
        sample_times.append(time.perf_counter() - start)

    import keras

    from sklearn_cerebros._keras._builder import build_model

    big = largest_plan(space)
    start = time.perf_counter()
    build_model(big, args.features)  # the first build also warms TensorFlow up
    first_build = time.perf_counter() - start
    build_times = []
    for _ in range(args.builds):
        keras.backend.clear_session()
        start = time.perf_counter()
        model = build_model(big, args.features)
        build_times.append(time.perf_counter() - start)
    assert model.count_params() == big.n_params(args.features)

    params = np.array([p.n_params(args.features) for p in plans])
    q = np.percentile(params, [0, 25, 50, 75, 100]).round().astype(int)
    counts = [connection_counts(p) for p in plans]
    with_laterals = np.mean([c.lateral > 0 for c in counts])
    with_gates = np.mean([c.gated > 0 for c in counts])

    print(f"Default CerebrosSpace, {args.features} features, keras {keras.__version__}")
    print(f"(backend {keras.backend.backend()}).\n")
    print("| measure | value |")
    print("|---|---|")
    print(
        f"| sample one plan (median of {args.samples}) | "
        f"{1e3 * statistics.median(sample_times):.2f} ms |"
    )
    print(f"| build largest plan, first in the process | {first_build:.3f} s |")
    print(
        f"| build largest plan (median of {args.builds} more) | "
        f"{statistics.median(build_times):.3f} s |"
    )
    print(f"| largest plan | {big.describe()} |")
    print(f"| largest plan parameters | {big.n_params(args.features):,} |")
    print(
        f"| parameters over {args.samples} samples: min / q1 / median / q3 / max | "
        + " / ".join(f"{v:,}" for v in q)
        + " |"
    )
    print(f"| plans with a lateral connection | {with_laterals:.0%} |")
    print(f"| plans with a gated lateral | {with_gates:.0%} |")


if __name__ == "__main__":
    main()
