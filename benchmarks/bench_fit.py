"""Fit time against raw Keras, and prediction latency.

Run ``python benchmarks/bench_fit.py`` (add ``--repeats 5`` for steadier
medians). It prints two Markdown tables:

1. the fit time of ``ResidualMLPRegressor`` next to the same network written
   and trained in plain Keras (``model.fit``) with the same epochs and batch
   size, median of several runs, and their ratio;
2. prediction latency for 1, 100 and 10,000 rows: ``estimator.predict`` next
   to Keras's ``model.predict`` on the same trained model.

Both sides run in the same process on the same data, so the ratio is
meaningful even on a noisy machine; the absolute seconds are not.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
