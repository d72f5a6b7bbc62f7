"""Fit time against raw Keras, and prediction latency.

Run ``python -m benchmarks.bench_fit`` (add ``--repeats 5`` for steadier
medians). Each side first fits ``--warmup`` times untimed (default 1), so that one-off
costs such as a backend's first compilation are not charged to whichever
side runs first. It prints two Markdown tables:

1. the fit time of ``ResidualMLPRegressor`` next to the same network written
   and trained in plain Keras (``model.fit``) with the same epochs and batch
   size, median of several runs, and their ratio;
2. prediction latency for 1, 100 and 10,000 rows: ``estimator.predict`` next
   to Keras's ``model.predict`` on the same trained model.

It also prints the arithmetic floor of the fit: the network's training
FLOPs (6 per weight per row and epoch: 2 forward, 4 backward) over the
machine's float32 matrix-multiply rate, measured with NumPy on matrices of the
network's own shapes, so one sees how far from the hardware a fit is.

``--data ames`` fits the default ``ResidualMLPRegressor`` on the Ames table
(``preprocessing="auto"``, 5-fold ``KFold``) and, fold by fold, the same
network in raw Keras on the same preprocessed fold (the preprocessor and the
target scaling are timed on both sides), with the same fixed epochs, batch
size and optimiser and no early stopping, so both do the same work. It
prints the seconds per fold, the floor for the Ames network, and predict
latency on raw Ames rows (which includes the tabular preprocessor).

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
from pathlib import Path

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
            [sys.executable, "-m", "benchmarks.bench_fit", *argv, "--json-line"],
            env=env,
            cwd=Path(__file__).resolve().parents[1],
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


def compiled_raw_model(n_features: int, units: int, epochs_lr: float = 1e-3):
    """The raw Keras residual MLP, compiled as a user would."""
    model = raw_keras_model(n_features, units, 2, 2)
    model.compile(optimizer=keras.optimizers.Adam(epochs_lr, clipnorm=1.0), loss="mse")
    return model


def fit_ours(X, y, args: argparse.Namespace, params: dict) -> None:
    """One Ames fit of the estimator, defaults but fixed epochs."""
    ResidualMLPRegressor(
        **params,
        epochs=args.epochs,
        batch_size=args.batch_size,
        early_stopping=False,
        random_state=0,
    ).fit(X, y)


def fit_raw(X, y, args: argparse.Namespace) -> int:
    """The same fit in raw Keras; returns the preprocessed width."""
    from sklearn.preprocessing import StandardScaler

    from sklearn_cerebros import make_tabular_preprocessor

    features = np.asarray(make_tabular_preprocessor().fit_transform(X), "float32")
    target = StandardScaler().fit_transform(y[:, None]).astype("float32")
    model = compiled_raw_model(features.shape[1], args.units)
    model.fit(
        features, target, epochs=args.epochs, batch_size=args.batch_size, verbose=0
    )
    return features.shape[1]


def ames_folds(args: argparse.Namespace) -> dict:
    """Time ours and raw Keras on each Ames fold; print a table; return figures."""
    from sklearn.model_selection import KFold

    from sklearn_cerebros.datasets import load_ames

    X, y = load_ames(return_X_y=True)
    y = y.to_numpy(dtype="float64")
    folds = list(KFold(args.folds, shuffle=True, random_state=0).split(X))
    params = dict(n_blocks=2, layers_per_block=2, width=args.units)
    rows, width = [], 0
    for _ in range(args.warmup):  # one-off costs (first compilation) untimed
        fit_ours(X.iloc[folds[0][0]], y[folds[0][0]], args, params)
        fit_raw(X.iloc[folds[0][0]], y[folds[0][0]], args)
    for k, (train, _) in enumerate(folds):
        Xk, yk = X.iloc[train], y[train]
        keras.backend.clear_session()
        ours_s = time_it(lambda X=Xk, y=yk: fit_ours(X, y, args, params))
        keras.backend.clear_session()
        start = time.perf_counter()
        width = fit_raw(Xk, yk, args)
        raw_s = time.perf_counter() - start
        rows.append((k, len(train), ours_s, raw_s))
    print(f"Backend: {keras.backend.backend()}, Keras {keras.__version__}")
    print(
        f"Ames: {len(X)} rows, {args.folds}-fold KFold, {width} features after "
        f"preprocessing, {args.epochs} epochs, batch {args.batch_size}, residual "
        f"MLP 2 blocks x 2 layers x {args.units}, no early stopping\n"
    )
    print("| fold | training rows | ResidualMLPRegressor s | raw Keras s | ratio |")
    print("|---|---|---|---|---|")
    for k, n, a, b in rows:
        print(f"| {k} | {n} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
    ours_med = statistics.median(r[2] for r in rows)
    raw_med = statistics.median(r[3] for r in rows)
    print(
        f"| median | | {ours_med:.2f} | {raw_med:.2f} | {ours_med / raw_med:.2f}x |\n"
    )
    floor = print_floor(width, int(np.median([r[1] for r in rows])), args, ours_med)
    reg = ResidualMLPRegressor(**params, epochs=2, random_state=0).fit(X, y)
    predict_ms = print_latency(reg, X, args)
    return dict(ours=ours_med, raw=raw_med, floor=floor, predict_ms=predict_ms)


def print_floor(
    n_features: int, n_rows: int, args: argparse.Namespace, ours_s: float
) -> float:
    """Print and return the arithmetic floor of one fit of the network."""
    shapes = dense_shapes(n_features, args.units, 2, 2)
    weights = sum(a * b + b for a, b in shapes)
    flops = 6 * weights * n_rows * args.epochs
    rate = matmul_rate(args.batch_size, shapes)
    floor = flops / rate
    print(
        f"Arithmetic floor: {weights:,} weights, {flops / 1e9:.1f} GFLOP of "
        f"training at {rate / 1e9:.1f} GFLOP/s (NumPy float32 matmul of the "
        f"layers' shapes, batch {args.batch_size}) = {floor:.3f} s; "
        f"ours is {ours_s / floor:.0f}x the floor.\n"
    )
    return floor


def print_latency(reg: ResidualMLPRegressor, X, args: argparse.Namespace) -> dict:
    """Print predict latency for 1, 100 and 10,000 rows; return it in ms."""
    predict_ms: dict[str, float] = {}
    print(
        "| rows | `predict` median ms | of which input checks and preprocessing "
        "| Keras `model.predict` median ms (network only) | ratio |"
    )
    print("|---|---|---|---|---|")
    for n in (1, 100, 10_000):
        idx = np.resize(np.arange(len(X)), n)
        Xn = X.iloc[idx] if hasattr(X, "iloc") else X[idx]
        model_in = reg._transform_X(Xn, reset=False)
        reg.predict(Xn)
        reg.predict(Xn)  # the second call compiles the forward pass
        reg.model_.predict(model_in, verbose=0)  # warm both paths up
        ours_ms = statistics.median(
            time_it(lambda X=Xn: reg.predict(X)) for _ in range(args.latency_runs)
        )
        prep_ms = statistics.median(
            time_it(lambda X=Xn: reg._transform_X(X, reset=False))
            for _ in range(args.latency_runs)
        )
        keras_ms = statistics.median(
            time_it(lambda X=model_in: reg.model_.predict(X, verbose=0))
            for _ in range(args.latency_runs)
        )
        print(
            f"| {n} | {1e3 * ours_ms:.1f} | {1e3 * prep_ms:.1f} | "
            f"{1e3 * keras_ms:.1f} | {keras_ms / ours_ms:.1f}x faster |"
        )
        predict_ms[str(n)] = 1e3 * ours_ms
    return predict_ms


def synthetic(args: argparse.Namespace) -> dict:
    """Time ours and raw Keras on synthetic data; print tables; return figures."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features)).astype("float32")
    y = (X[:, :5].sum(axis=1) + rng.normal(size=args.rows)).astype("float32")
    params = dict(n_blocks=2, layers_per_block=2, width=args.units)

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
        model = compiled_raw_model(args.features, args.units)
        model.fit(X, y, epochs=args.epochs, batch_size=args.batch_size, verbose=0)

    ours_t, raw_t = [], []
    for _ in range(args.warmup):  # one-off costs (first compilation) untimed
        ours()
        raw()
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
    floor = print_floor(args.features, args.rows, args, ours_med)
    reg = ResidualMLPRegressor(**params, epochs=2, preprocessing=None, random_state=0)
    reg.fit(X, y)
    predict_ms = print_latency(reg, X, args)
    return dict(ours=ours_med, raw=raw_med, floor=floor, predict_ms=predict_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed fits of each side first"
    )
    parser.add_argument("--data", choices=["synthetic", "ames"], default="synthetic")
    parser.add_argument("--folds", type=int, default=5, help="Ames folds")
    parser.add_argument("--latency-runs", type=int, default=15)
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

    figures = ames_folds(args) if args.data == "ames" else synthetic(args)
    if args.json_line:
        print(json.dumps(dict(backend=keras.backend.backend(), **figures)))


if __name__ == "__main__":
    main()
