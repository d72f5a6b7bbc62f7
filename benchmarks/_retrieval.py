"""A learned-retrieval regressor for the Ames levers (a TabR-style prototype).

After Gorishniy et al., "TabR: Tabular Deep Learning Meets Nearest
Neighbors" (ICLR 2024), cut down to what a benchmark needs: an encoder maps
each encoded row to a vector, a key layer maps that to a key, and a row's
prediction adds to its own vector a softmax-weighted sum, over the ``k``
training rows with the nearest keys (never the row itself), of an embedding
of their target plus a learned function of the key difference. The encoder,
keys and head are trained together, so the network learns which rows are
neighbours. Every training step encodes all candidate rows, which is cheap on
a table of 2,000 rows and would not be on a large one. This is the prototype
that session 7 of issue #17 measured; the library's network is
:class:`sklearn_cerebros.architecture.RetrievalPlan`, which the search takes
as an initial plan.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops
from sklearn.base import BaseEstimator, RegressorMixin, clone

from sklearn_cerebros._keras._retrieval import _squared_distances
from sklearn_cerebros.preprocessing import make_tabular_preprocessor

__all__ = ["Blend", "RetrievalRegressor"]


class _Retrieval(keras.layers.Layer):
    """Encode the queries, retrieve their nearest candidates, add the context."""

    def __init__(
        self,
        candidates: np.ndarray,
        targets: np.ndarray,
        width: int,
        k: int,
        dropout: float,
        exclude: str = "index",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.k, self.exclude = k, exclude
        self.candidates = self.add_weight(
            shape=candidates.shape, initializer="zeros", trainable=False
        )
        self.targets = self.add_weight(
            shape=targets.shape, initializer="zeros", trainable=False
        )
        self.candidates.assign(candidates)
        self.targets.assign(targets)
        self.embed = layers.Dense(width)
        self.block_in = layers.Dense(width, activation="relu")
        self.block_out = layers.Dense(width)
        self.key_norm = layers.LayerNormalization()
        self.key = layers.Dense(width)
        self.label = layers.Dense(width)
        self.difference_in = layers.Dense(width, activation="relu")
        self.difference_out = layers.Dense(width, use_bias=False)
        self.drop = layers.Dropout(dropout)

    def _encode(self, x: Any, training: Any) -> tuple[Any, Any]:
        e = self.embed(x)
        e = e + self.block_out(self.drop(self.block_in(e), training=training))
        return e, self.key(self.key_norm(e))

    def call(self, x: Any, index: Any, training: Any = None) -> Any:
        encoded, query = self._encode(x, training)
        _, keys = self._encode(self.candidates, training)
        distance = _squared_distances(query, keys)
        if self.exclude == "index":
            own = ops.equal(
                ops.expand_dims(ops.cast(index, "int32"), 1),
                ops.expand_dims(ops.arange(ops.shape(keys)[0], dtype="int32"), 0),
            )
        else:  # a candidate whose encoded row equals the query's is the query
            # An absolute threshold, as measured in session 7 of issue #17: on
            # Ames's 519 encoded columns float32 rounding puts about half of
            # the copies above it, so they stay candidates. The library's
            # RetrievalPlan compares with the rows' squared norms instead.
            own = _squared_distances(x, self.candidates) < 1e-6
        similarity, nearest = ops.top_k(ops.where(own, -1e9, -distance), self.k)
        weights = self.drop(ops.softmax(similarity, axis=-1), training=training)
        values = self.label(ops.take(self.targets, nearest, axis=0)) + (
            self.difference_out(
                self.difference_in(
                    ops.expand_dims(query, 1) - ops.take(keys, nearest, axis=0)
                )
            )
        )
        return encoded + ops.sum(ops.expand_dims(weights, -1) * values, axis=1)


def _network(
    candidates: np.ndarray,
    targets: np.ndarray,
    width: int,
    k: int,
    dropout: float,
    learning_rate: float,
    exclude: str,
) -> keras.Model:
    x = keras.Input((candidates.shape[1],))
    index = keras.Input((), dtype="int32")
    h = _Retrieval(candidates, targets, width, k, dropout, exclude, name="retrieval")(
        x, index
    )
    z = layers.Dense(2 * width, activation="relu")(layers.LayerNormalization()(h))
    h = h + layers.Dense(width)(layers.Dropout(dropout)(z))
    h = layers.Activation("relu")(layers.LayerNormalization()(h))
    model = keras.Model([x, index], layers.Dense(1)(h))
    model.compile(keras.optimizers.AdamW(learning_rate, weight_decay=1e-5), "mse")
    return model


class RetrievalRegressor(RegressorMixin, BaseEstimator):
    """TabR-style learned retrieval on the library's piecewise-linear encoding.

    Trained with early stopping on a 10 % split whose rows query the other
    90 %; at ``predict`` every training row is a candidate, as in TabR.

    Parameters
    ----------
    width : int, default=128
        Width of the encoder, keys and values.
    k : int, default=32
        Number of nearest candidates each row attends to.
    dropout : float, default=0.1
        Dropout in the encoder, on the attention weights and in the head.
    learning_rate : float, default=1e-3
        AdamW's learning rate (weight decay 1e-5).
    patience : int, default=30
        Epochs without improvement of the validation loss before stopping.
    exclude : {"index", "equal"}, default="index"
        How a training row is kept from retrieving itself: by its index, or
        (what a model that sees only its inputs can do) by leaving out every
        candidate whose encoded row equals it.
    random_state : int, default=0
        Seed of the split and the weights.
    """

    def __init__(
        self,
        width: int = 128,
        k: int = 32,
        dropout: float = 0.1,
        learning_rate: float = 1e-3,
        patience: int = 30,
        exclude: str = "index",
        random_state: int = 0,
    ) -> None:
        self.width, self.k, self.dropout = width, k, dropout
        self.learning_rate, self.patience = learning_rate, patience
        self.exclude = exclude
        self.random_state = random_state

    def fit(self, X: Any, y: np.ndarray) -> RetrievalRegressor:
        keras.utils.set_random_seed(self.random_state)
        self.encoder_ = make_tabular_preprocessor(numeric="piecewise_linear").fit(X)
        A = np.asarray(self.encoder_.transform(X), dtype=np.float32)
        y = np.asarray(y, dtype=np.float64)
        self.mean_, self.scale_ = y.mean(), y.std()
        z = ((y - self.mean_) / self.scale_).astype(np.float32)[:, None]
        order = np.random.default_rng(self.random_state).permutation(len(A))
        valid, train = order[: len(A) // 10], order[len(A) // 10 :]
        settings = (self.width, self.k, self.dropout, self.learning_rate, self.exclude)
        model = _network(A[train], z[train], *settings)
        model.fit(
            [A[train], np.arange(len(train), dtype=np.int32)],
            z[train],
            validation_data=([A[valid], np.full(len(valid), -1, np.int32)], z[valid]),
            epochs=300,
            batch_size=64,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    patience=self.patience, restore_best_weights=True
                )
            ],
            verbose=0,
        )
        # the same weights, with every training row a candidate
        self.model_ = _network(A, z, *settings)
        for new, old in zip(self.model_.layers, model.layers, strict=True):
            if isinstance(new, _Retrieval):
                pairs = zip(new.trainable_weights, old.trainable_weights, strict=True)
                for a, b in pairs:
                    a.assign(b)
            else:
                new.set_weights(old.get_weights())
        return self

    def predict(self, X: Any) -> np.ndarray:
        A = np.asarray(self.encoder_.transform(X), dtype=np.float32)
        index = np.full(len(A), -1, np.int32)
        raw = self.model_.predict([A, index], batch_size=256, verbose=0)
        return np.ravel(raw) * self.scale_ + self.mean_


class Blend(RegressorMixin, BaseEstimator):
    """The unweighted mean of several regressors' predictions."""

    def __init__(self, estimators: list[Any] | None = None) -> None:
        self.estimators = estimators

    def fit(self, X: Any, y: np.ndarray) -> Blend:
        if not self.estimators:
            raise ValueError("Blend needs at least one estimator in `estimators`.")
        self.estimators_ = [clone(e).fit(X, y) for e in self.estimators]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.mean([e.predict(X) for e in self.estimators_], axis=0)
