"""Do learned per-feature numeric embeddings earn a place? (issue #16)

A person runs it; it prints a Markdown table (mean ± standard deviation over
the 5 fixed folds, median fit seconds) and appends every fold to a CSV.

The embeddings are prototyped as a Keras base model in front of
``ResidualMLPRegressor``/``ResidualMLPClassifier`` (tandem mode, 8 members,
everything else at the defaults) on columns encoded by
``make_tabular_preprocessor``:

``ple``
    piecewise-linear encoding, no embedding (what ``preprocessing="auto"``
    feeds the networks);
``ple_linear``
    the same, then per numeric feature its bins through a Dense map to 8
    values and a ReLU (the "PLE-LR" embedding; bins padded per feature);
``robust``
    robust scaling and soft clipping, no embedding;
``robust_periodic``
    the same, then per numeric feature ``sin`` and ``cos`` of 24 learned
    frequencies (initial scale 0.1), a Dense map to 16 values and a ReLU
    (the "PLR" embedding).

Categorical and missing-indicator columns pass through unchanged.

Examples
--------
``KERAS_BACKEND=jax python -m benchmarks.bench_embeddings --datasets ames``
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor
from sklearn_cerebros.preprocessing import make_tabular_preprocessor

from ._datasets import load_dataset
from .bench_defaults import score, splits, table

#: name: (numeric encoding, embedding kind, embedding width)
VARIANTS = {
    "ple": ("piecewise_linear", None, 0),
    "ple_linear": ("piecewise_linear", "linear", 8),
    "robust": ("robust", None, 0),
    "robust_periodic": ("robust", "periodic", 16),
}


@keras.saving.register_keras_serializable("sklearn_cerebros_benchmarks")
class PerFeatureEmbedding(keras.layers.Layer):
    """Each numeric feature's columns to ``width`` values, the rest passed on.

    ``index[f]`` lists feature ``f``'s input columns, padded with -1;
    ``rest`` the columns passed through.
    """

    def __init__(self, index, rest, kind, width, n_frequencies=24, **kwargs):
        super().__init__(**kwargs)
        self.index = np.asarray(index, "int32")
        self.rest = np.asarray(rest, "int32")
        self.kind, self.width, self.n_frequencies = kind, width, n_frequencies

    def get_config(self):
        return {
            **super().get_config(),
            "index": self.index.tolist(),
            "rest": self.rest.tolist(),
            "kind": self.kind,
            "width": self.width,
            "n_frequencies": self.n_frequencies,
        }

    def build(self, input_shape):
        n_features, n_bins = self.index.shape
        fan_in = 2 * self.n_frequencies if self.kind == "periodic" else n_bins
        if self.kind == "periodic":
            self.frequencies = self.add_weight(
                shape=(n_features, self.n_frequencies),
                initializer=keras.initializers.RandomNormal(stddev=0.1),
                name="frequencies",
            )
        self.kernel = self.add_weight(
            shape=(n_features, fan_in, self.width), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(shape=(n_features, self.width), initializer="zeros")

    def call(self, x):
        if self.kind == "periodic":
            values = ops.take(x, self.index[:, 0], axis=1)
            angles = 2 * np.pi * values[:, :, None] * self.frequencies
            per_feature = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
        else:
            padded = ops.concatenate([x, ops.zeros_like(x[:, :1])], axis=-1)
            flat = np.where(self.index < 0, x.shape[-1], self.index).reshape(-1)
            per_feature = ops.reshape(
                ops.take(padded, flat, axis=1), (-1, *self.index.shape)
            )
        embedded = ops.relu(
            ops.einsum("rfb,fbd->rfd", per_feature, self.kernel) + self.bias
        )
        embedded = ops.reshape(embedded, (-1, self.index.shape[0] * self.width))
        return ops.concatenate([embedded, ops.take(x, self.rest, axis=1)], axis=-1)


def feature_columns(names) -> tuple[list[list[int]], list[int]]:
    """Columns of each numeric feature (padded with -1), and the other columns."""
    groups: dict[str, list[int]] = {}
    rest = []
    for i, name in enumerate(names):
        match = re.match(r"num__(.*?)(_bin\d+)?$", name)
        if match:
            groups.setdefault(match.group(1), []).append(i)
        else:
            rest.append(i)
    width = max(map(len, groups.values()))
    return [g + [-1] * (width - len(g)) for g in groups.values()], rest


def fit_predict(variant: str, task: str, X_train, y_train, X_test, seed: int):
    numeric, kind, width = VARIANTS[variant]
    pre = make_tabular_preprocessor(numeric=numeric).fit(X_train)
    Xt, Xs = pre.transform(X_train), pre.transform(X_test)
    inputs = keras.Input((Xt.shape[1],))
    if kind is None:
        outputs = keras.layers.Identity()(inputs)
    else:
        index, rest = feature_columns(pre.get_feature_names_out())
        outputs = PerFeatureEmbedding(index, rest, kind, width)(inputs)
    cls = ResidualMLPRegressor if task == "regression" else ResidualMLPClassifier
    est = cls(
        base_model=keras.Model(inputs, outputs),
        base_trainable_layers="all",
        preprocessing=None,
        random_state=seed,
    )
    start = time.perf_counter()
    est.fit(Xt, y_train)
    return est.predict(Xs), time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ames"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default="benchmarks/results/defaults/embeddings.csv", type=Path
    )
    args = parser.parse_args(argv)
    backend = keras.backend.backend()
    new = not args.out.exists()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        if new:
            f.write("dataset,config,seed,fold,score,fit_seconds,backend\n")
        for name in args.datasets:
            data = load_dataset(name)
            for variant in args.variants:
                for fold, (train, test) in enumerate(splits(data, 5)):
                    pred, seconds = fit_predict(
                        variant,
                        data.task,
                        data.X.iloc[train],
                        data.y.iloc[train],
                        data.X.iloc[test],
                        args.seed,
                    )
                    value = score(data, data.y.iloc[test], pred)
                    f.write(
                        f"{name},{variant},{args.seed},{fold},{value},{seconds},"
                        f"{backend}\n"
                    )
                    f.flush()
                    print(f"{name} {variant} {fold}: {value:.4g} ({seconds:.0f} s)")
    print(table(args.out))


if __name__ == "__main__":
    main()
