"""Fit time against raw Keras, and prediction latency.

Run ``python benchmarks/bench_fit.py`` (add ``--repeats 5`` for steadier
medians). It prints two Markdown tables:

1. the fit time of ``ResidualMLPRegressor`` next to the same network written
   and trained in plain Keras (``model.fit``) with the same epochs and batch
   size, median of several runs, and their ratio;
2. prediction latency for 1, 100 and 10,000 rows: ``estimator.predict`` next
   to Keras's ``model.predict`` on the same trained model.

It also prints the arithmetic floor of the fit: the network's training
FLOPs (6 per weight per row and epoch: 2 forward, 4 backward) over the
machine's float32 matrix-multiply rate, measured with NumPy on matrices of the
network's own shapes, so one sees how far from the hardware a fit is.

``--backends tensorflow jax torch`` runs the whole script once per Keras
backend, each in a fresh process (``KERAS_BACKEND``), and prints one summary
table after them. Backends that are not installed are reported and skipped.

Both sides run in the same process on the same data, so the ratio is
meaningful even on a noisy machine; the absolute seconds are not.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_cerebros import ResidualMLPRegressor  # noqa: E402


def raw_keras_model(n_features: int, units: int, n_blocks: int, layers: int):
    """The residual MLP written directly in Keras, as a user would."""
    inputs = keras.Input((n_features,))
    carried = [inputs]
    for _ in range(n_blocks):
        x = carried[0] if len(carried) == 1 else keras.layers.Concatenate()(carried)
        for _ in range(layers):
            x = keras.layers.Dense(units, activation="relu")(x)
        carried.append(x)
    x = keras.layers.Concatenate()(carried)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def time_it(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def matmul_rate(batch: int, widths: list[tuple[int, int]], seconds: float = 1.0):
    """Float32 FLOP/s of NumPy matrix products of the network's layer shapes."""
    rng = np.random.default_rng(0)
    pairs = [
        (
            rng.normal(size=(batch, a)).astype("float32"),
            rng.normal(size=(a, b)).astype("float32"),
        )
        for a, b in widths
    ]
    flops_per_round = sum(2 * batch * a * b for a, b in widths)
    rounds, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for x, w in pairs:
            x @ w
        rounds += 1
    return rounds * flops_per_round / (time.perf_counter() - start)


def dense_shapes(n_features: int, units: int, n_blocks: int, layers: int):
    """(inputs, outputs) of every Dense layer of the residual MLP."""
    shapes, width_in = [], n_features
    for _ in range(n_blocks):
        a = width_in
        for _ in range(layers):
            shapes.append((a, units))
            a = units
        width_in += units
    shapes.append((width_in, 1))
    return shapes


def run_backends(backends: list[str], argv: list[str]) -> None:
    """Run this script once per backend in a fresh process; summarise."""
    rows = []
    for backend in backends:
        module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
        if importlib.util.find_spec(module) is None:
            print(f"\n# {backend}: not installed, skipped")
            continue
        print(f"\n# Backend {backend}\n", flush=True)
        env = {**os.environ, "KERAS_BACKEND": backend}
        out = subprocess.run(
            [sys.executable, __file__, *argv, "--json-line"],
            env=env,
            capture_output=True,
            text=True,
        )
        lines = out.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("{")))
        if out.returncode != 0:
            print(f"failed:\n{out.stderr[-2000:]}")
            continue
        rows.append(json.loads(next(line for line in lines if line.startswith("{"))))
    if not rows:
        return
    base = next((r for r in rows if r["backend"] == "tensorflow"), rows[0])
    print("\n# Summary\n")
    print(
        "| backend | fit s (ours) | raw Keras s | ours / raw | floor s | "
        "ours / floor | vs TensorFlow | predict 1 / 100 / 10,000 rows ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['ours']:.2f} | {r['raw']:.2f} | "
            f"{r['ours'] / r['raw']:.2f}x | {r['floor']:.3f} | "
            f"{r['ours'] / r['floor']:.0f}x | {base['ours'] / r['ours']:.2f}x faster | "
            + " / ".join(f"{r['predict_ms'][k]:.1f}" for k in ("1", "100", "10000"))
            + " |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=["tensorflow", "jax", "torch"],
        help="run once per Keras backend, each in a fresh process",
    )
    parser.add_argument("--json-line", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backends:
        argv = [a for a in sys.argv[1:] if a not in ("--backends", *args.backends)]
        run_backends(args.backends, argv)
        return

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features)).astype("float32")
    y = (X[:, :5].sum(axis=1) + rng.normal(size=args.rows)).astype("float32")
    params = dict(n_blocks=2, layers_per_block=2, units=args.units)

    def ours():
        ResidualMLPRegressor(
            **params,
            epochs=args.epochs,
            batch_size=args.batch_size,
            early_stopping=False,
            preprocessing=None,
            random_state=0,
        ).fit(X, y)

    def raw():
        model = raw_keras_model(args.features, args.units, 2, 2)
        model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0), loss="mse")
        model.fit(X, y, epochs=args.epochs, batch_size=args.batch_size, verbose=0)

    ours_t, raw_t = [], []
    for _ in range(args.repeats):  # interleaved so drift hits both alike
        keras.backend.clear_session()
        ours_t.append(time_it(ours))
        keras.backend.clear_session()
        raw_t.append(time_it(raw))
    ours_med, raw_med = statistics.median(ours_t), statistics.median(raw_t)

    print(f"Backend: {keras.backend.backend()}, Keras {keras.__version__}")
    print(
        f"Data: {args.rows} x {args.features} float32, {args.epochs} epochs, "
        f"batch {args.batch_size}, residual MLP 2 blocks x 2 layers x {args.units}\n"
    )
    print("| fit | median s | runs (s) |")
    print("|---|---|---|")
    for name, med, runs in [
        ("ResidualMLPRegressor", ours_med, ours_t),
        ("raw Keras `model.fit`", raw_med, raw_t),
    ]:
        print(f"| {name} | {med:.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")
    print(f"\nRatio ours / raw Keras: {ours_med / raw_med:.2f}x\n")

    shapes = dense_shapes(args.features, args.units, 2, 2)
    weights = sum(a * b + b for a, b in shapes)
    flops = 6 * weights * args.rows * args.epochs
    rate = matmul_rate(args.batch_size, shapes)
    floor = flops / rate
    print(
        f"Arithmetic floor: {weights:,} weights, {flops / 1e9:.1f} GFLOP of "
        f"training at {rate / 1e9:.1f} GFLOP/s (NumPy float32 matmul of the "
        f"layers' shapes, batch {args.batch_size}) = {floor:.3f} s; "
        f"ours is {ours_med / floor:.0f}x the floor.\n"
    )
    predict_ms: dict[str, float] = {}

    reg = ResidualMLPRegressor(**params, epochs=2, preprocessing=None, random_state=0)
    reg.fit(X, y)
    print("| rows | `predict` median ms | Keras `model.predict` median ms | ratio |")
    print("|---|---|---|---|")
    for n in (1, 100, 10_000):
        Xn = np.resize(X, (n, args.features))
        reg.predict(Xn)
        reg.model_.predict(Xn, verbose=0)  # warm both paths up
        ours_ms = statistics.median(
            time_it(lambda X=Xn: reg.predict(X)) for _ in range(15)
        )
        keras_ms = statistics.median(
            time_it(lambda X=Xn: reg.model_.predict(X, verbose=0)) for _ in range(15)
        )
        print(
            f"| {n} | {1e3 * ours_ms:.1f} | {1e3 * keras_ms:.1f} | "
            f"{keras_ms / ours_ms:.1f}x faster |"
        )
        predict_ms[str(n)] = 1e3 * ours_ms
    if args.json_line:
        record = dict(
            backend=keras.backend.backend(),
            ours=ours_med,
            raw=raw_med,
            floor=floor,
            predict_ms=predict_ms,
        )
        print(json.dumps(record))


if __name__ == "__main__":
    main()
