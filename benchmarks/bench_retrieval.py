"""What a learned-retrieval network costs as the training set grows.

Run ``KERAS_BACKEND=jax python -m benchmarks.bench_retrieval`` (``--help`` for
the options). For each number of training rows (random features, a smooth
target) it trains :class:`~sklearn_cerebros.architecture.RetrievalPlan` at
its defaults, with each ``--max-candidates`` memory cap, and the residual
estimators' default network (``residual_plan()``, 8 members) on the same rows,
and prints the median seconds of an epoch after the first (which compiles)
over ``--epochs`` epochs, and the ratio to the residual network in the same
run. Every training step
encodes the memory it retrieves from, so a retrieval epoch grows with rows x
memory rows until the memory is capped, then with rows only;
``--train-candidates`` adds networks that retrieve, in training, from a draw
of that many memory rows a step (``none`` for the whole memory).

Timings move with the load of the machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_cerebros._keras import TrainSettings, fit_network  # noqa: E402
from sklearn_cerebros.architecture import RetrievalPlan, residual_plan  # noqa: E402


class _EpochTimes(keras.callbacks.Callback):
    """When each epoch ended."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.ends.append(time.perf_counter())


def epoch_seconds(plan, X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    """Median seconds of an epoch after the first (which compiles)."""
    timer = _EpochTimes()
    settings = TrainSettings(
        epochs=epochs,
        batch_size=64,
        learning_rate=1e-3,
        loss="squared_error",
        early_stopping=False,
        callbacks=(timer,),
    )
    fit_network(plan, (X, y, None), None, settings, seed=0, n_features=X.shape[1])
    return float(np.median(np.diff(timer.ends)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", nargs="+", type=int, default=[1000, 2000, 5000, 10000, 20000]
    )
    parser.add_argument("--max-candidates", nargs="+", type=int, default=[4096])
    parser.add_argument(
        "--train-candidates",
        nargs="+",
        type=lambda text: None if text == "none" else int(text),
        default=[None],
        help="rows drawn a training step, or none (default: none)",
    )
    parser.add_argument("--features", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args(argv)
    if args.epochs < 3:
        parser.error("--epochs must be at least 3 (the first one compiles)")
    print(
        f"backend {keras.backend.backend()}, {args.features} features, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    residual = residual_plan().with_head(1, "linear", 8)
    variants = [
        (cap, drawn) for cap in args.max_candidates for drawn in args.train_candidates
    ]
    caps = [
        f"retrieval, memory <= {cap}" + ("" if drawn is None else f", {drawn} drawn")
        for cap, drawn in variants
    ]
    print("| rows | residual s/epoch | " + " | ".join(caps) + " |")
    print("|---|---|" + "---|" * len(caps))
    rng = np.random.default_rng(0)
    for n in args.rows:
        X = rng.uniform(size=(n, args.features)).astype(np.float32)
        y = np.sin(6 * X[:, :5]).sum(axis=1).astype(np.float32)
        base = epoch_seconds(residual, X, y, args.epochs)
        cells = []
        for cap, drawn in variants:
            plan = RetrievalPlan(max_candidates=cap, train_candidates=drawn)
            took = epoch_seconds(plan, X, y, args.epochs)
            cells.append(f"{took:.2f} ({took / base:.1f}x)")
        print(f"| {n} | {base:.2f} | " + " | ".join(cells) + " |", flush=True)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
