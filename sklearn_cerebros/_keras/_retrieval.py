"""Build a :class:`~sklearn_cerebros.architecture.RetrievalPlan` into a Keras model.

The network is described in :mod:`sklearn_cerebros.architecture._retrieval`.
Its memory (training rows and their targets) lives in :class:`RetrievalContext`
as non-trainable weights, the first two weights of the model: ``memory_rows x
n_features`` encoded features, then ``memory_rows x head_units`` encoded
targets. :func:`memory_of` draws the memory from a fit's training rows, and
:func:`memory_rows` reads its size back from a model's weights, so a network
can be rebuilt from its plan and weights alone.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from ..architecture import RetrievalPlan
from ._kinds import NetworkBuilder, RowMemory
from ._rows import SparseRows

__all__ = [
    "RETRIEVAL_BUILDER",
    "RetrievalContext",
    "build_retrieval",
    "memory_of",
    "memory_rows",
]

# A memory row whose squared distance to the query (in the encoded features)
# is at most this share of their squared norms is the query itself, and is
# never retrieved. Computed as |a|^2 - 2ab + |b|^2 in float32, the distance of
# a row to its own copy comes out as rounding noise of about 1e-7 to 3e-5 of
# the squared norms (more features, more noise; and unlike from one backend to
# the next), so an absolute threshold would keep some copies and not others.
_SAME_ROW = 1e-4


def _squared_distances(a: Any, b: Any) -> Any:
    """Squared Euclidean distances between the rows of ``a`` and of ``b``."""
    return (
        ops.sum(a * a, axis=1, keepdims=True)
        - 2.0 * ops.matmul(a, ops.transpose(b))
        + ops.expand_dims(ops.sum(b * b, axis=1), 0)
    )


def _product(rows: Any, kernel: Any) -> Any:
    """``rows`` times a Dense layer's ``kernel``, in the rows' dtype."""
    return ops.matmul(rows, ops.cast(kernel, rows.dtype))


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class RetrievalContext(keras.layers.Layer):
    """Encode rows, retrieve their nearest memory rows, add what those say.

    The output is the row's encoding plus the softmax-weighted sum, over the
    ``k`` memory rows with the nearest keys (other than rows equal to it), of
    an embedding of their targets plus a learned function of the key
    difference.

    Parameters
    ----------
    memory_rows : int
        Rows in the memory.
    target_width : int
        Width of an encoded target (outputs; classes for a classifier).
    width : int
        Width of the encoding, the keys and the values.
    k : int
        Memory rows each row attends to (at most ``memory_rows``).
    dropout : float
        Dropout in the encoder and on the attention weights.
    train_candidates : int or None, default=None
        Memory rows each training step draws at random (without
        replacement) to retrieve from; None, or a number at least
        ``memory_rows``, uses the whole memory. Prediction always uses the
        whole memory.
    memory_gradients : bool, default=True
        Whether a training step backpropagates through the memory rows'
        keys; False treats them as constants of the step (recomputed at
        each step with the current weights), which skips the memory's
        backward pass.
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(
        self,
        memory_rows: int,
        target_width: int,
        width: int,
        k: int,
        dropout: float,
        train_candidates: int | None = None,
        memory_gradients: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.memory_rows, self.target_width = int(memory_rows), int(target_width)
        self.width, self.k, self.dropout = int(width), int(k), float(dropout)
        self.train_candidates = (
            None if train_candidates is None else int(train_candidates)
        )
        self.memory_gradients = bool(memory_gradients)
        if self.draws_candidates:
            # made only when drawing, so that a network that does not draw
            # takes the same seeds (its dropout's) as before this existed
            self.candidate_seed = keras.random.SeedGenerator(name="candidates")
        self.embed = layers.Dense(width, name="embed")
        self.block_in = layers.Dense(width, activation="relu", name="block_in")
        self.block_out = layers.Dense(width, name="block_out")
        self.key_norm = layers.LayerNormalization(name="key_norm")
        self.key = layers.Dense(width, name="key")
        self.label = layers.Dense(width, name="label")
        self.difference_in = layers.Dense(
            width, activation="relu", name="difference_in"
        )
        self.difference_out = layers.Dense(width, use_bias=False, name="difference_out")
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n_features = int(input_shape[-1])
        # the model's first weights (see memory_rows); filled by build_retrieval
        self.memory = self.add_weight(
            name="memory",
            shape=(self.memory_rows, n_features),
            initializer="zeros",
            trainable=False,
        )
        self.memory_targets = self.add_weight(
            name="memory_targets",
            shape=(self.memory_rows, self.target_width),
            initializer="zeros",
            trainable=False,
        )
        self.embed.build((None, n_features))
        for layer in (self.block_in, self.block_out, self.key, self.difference_in):
            layer.build((None, self.width))
        self.key_norm.build((None, self.width))
        self.difference_out.build((None, self.width))
        self.label.build((None, self.target_width))

    @property
    def draws_candidates(self) -> bool:
        """Whether a training step retrieves from a draw of the memory."""
        return (
            self.train_candidates is not None
            and self.train_candidates < self.memory_rows
        )

    def _memory(self, training: Any) -> tuple[Any, Any, int]:
        """The memory rows, their targets and their number, for this call."""
        if not (training and self.draws_candidates):
            return self.memory, self.memory_targets, self.memory_rows
        # the top of uniform noise: distinct rows, a seeded draw per step
        noise = keras.random.uniform((self.memory_rows,), seed=self.candidate_seed)
        _, drawn = ops.top_k(noise, self.train_candidates)
        return (
            ops.take(self.memory, drawn, axis=0),
            ops.take(self.memory_targets, drawn, axis=0),
            self.train_candidates,
        )

    def _encode(self, x: Any, training: Any) -> tuple[Any, Any]:
        e = self.embed(x)
        e = e + self.block_out(self.drop(self.block_in(e), training=training))
        return e, self.key(self.key_norm(e))

    def call(self, x: Any, training: Any = None) -> Any:
        memory_rows, memory_targets, n_memory = self._memory(training)
        memory = ops.cast(memory_rows, x.dtype)
        encoded, query = self._encode(x, training)
        _, keys = self._encode(memory, training)
        if not self.memory_gradients:
            keys = ops.stop_gradient(keys)
        # distances and attention in float32 whatever the dtype policy
        rows, memory32 = ops.cast(x, "float32"), ops.cast(memory_rows, "float32")
        scale = ops.sum(rows * rows, axis=1, keepdims=True) + ops.expand_dims(
            ops.sum(memory32 * memory32, axis=1), 0
        )
        distance = _squared_distances(
            ops.cast(query, "float32"), ops.cast(keys, "float32")
        )
        same = _squared_distances(rows, memory32) <= _SAME_ROW * scale
        similarity = ops.where(same, -1e9, -distance)
        similarity, nearest = ops.top_k(similarity, min(self.k, n_memory))
        # a row whose every memory row equals it retrieves nothing
        kept = ops.cast(similarity > -1e8, "float32")
        weights = ops.cast(ops.softmax(similarity, axis=-1) * kept, x.dtype)
        weights = self.drop(weights, training=training)
        return encoded + self._mixed_values(
            query, keys, ops.cast(memory_targets, x.dtype), nearest, weights
        )

    def _mixed_values(
        self, query: Any, keys: Any, targets: Any, nearest: Any, weights: Any
    ) -> Any:
        """The ``weights``-weighted sum of the ``nearest`` memory rows' values.

        A value is ``label(target) + difference_out(difference_in(query -
        key))``. ``label`` and ``difference_out`` are affine, so the sum over
        the neighbours is taken before them (one product a row instead of one
        a neighbour), and ``difference_in``'s product is taken once for the
        query and once for each memory key, then gathered, instead of once
        for each (row, neighbour) pair: the same values up to float
        rounding, and a training step half as long on a table of a few
        hundred rows (see the performance page).
        """
        inner, dtype = self.difference_in, query.dtype
        hidden = inner.activation(
            ops.expand_dims(
                _product(query, inner.kernel) + ops.cast(inner.bias, dtype), 1
            )
            - ops.take(_product(keys, inner.kernel), nearest, axis=0)
        )
        spread = ops.expand_dims(weights, -1)
        mixed_targets = ops.sum(spread * ops.take(targets, nearest, axis=0), axis=1)
        return (
            _product(mixed_targets, self.label.kernel)
            + ops.sum(weights, axis=1, keepdims=True) * ops.cast(self.label.bias, dtype)
            + _product(ops.sum(spread * hidden, axis=1), self.difference_out.kernel)
        )

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return (input_shape[0], self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "memory_rows": self.memory_rows,
            "target_width": self.target_width,
            "width": self.width,
            "k": self.k,
            "dropout": self.dropout,
            "train_candidates": self.train_candidates,
            "memory_gradients": self.memory_gradients,
        }


def memory_of(
    plan: RetrievalPlan, X: Any, y: np.ndarray, seed: int, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The memory a network of ``plan`` keeps from its training rows.

    Parameters
    ----------
    plan : RetrievalPlan
        Gives ``max_candidates`` and the head (``head_units``, and
        ``head_activation="softmax"`` for integer class labels).
    X : ndarray or SparseRows
        Encoded training rows.
    y : ndarray
        Encoded targets: standardised values, 0/1 labels, or integer classes
        under a softmax head.
    seed : int
        Seeds the draw of the rows when there are more than
        ``max_candidates``.
    limit : int, optional
        Keep at most this many rows (when below ``max_candidates``), drawn
        the same way: a bagged trial gives its fold networks memories of one
        size, so that they train in one compiled model (see
        :class:`~._network.CompiledNetwork`).

    Returns
    -------
    (features, targets) : tuple of float32 ndarray
        ``rows x n_features`` and ``rows x head_units``, rows in their order
        in ``X``.
    """
    n = X.shape[0]
    rows = np.arange(n)
    kept = plan.max_candidates if limit is None else min(plan.max_candidates, limit)
    if n > kept:
        rng = np.random.default_rng([int(seed), 0x5E7])
        rows = np.sort(rng.choice(n, kept, replace=False))
    features = X.matrix[rows].toarray() if isinstance(X, SparseRows) else X[rows]
    y = np.asarray(y)[rows]
    if plan.head_activation == "softmax":
        targets = np.eye(plan.head_units, dtype=np.float32)[np.ravel(y).astype(int)]
    else:
        targets = np.reshape(y, (len(rows), plan.head_units))
    return np.asarray(features, np.float32), np.asarray(targets, np.float32)


def memory_rows(weights: list[np.ndarray], n_features: int) -> int:
    """Rows of the memory of a retrieval network, from its weights.

    Raises
    ------
    ValueError
        If the first weight is not a ``rows x n_features`` memory.
    """
    first = np.shape(weights[0]) if weights else ()
    if len(first) != 2 or first[1] != n_features:
        raise ValueError(
            f"These are not the weights of a retrieval network on {n_features} "
            f"features: the first should be its memory, rows x {n_features}, "
            f"got shape {first}."
        )
    return int(first[0])


def build_retrieval(
    plan: RetrievalPlan,
    n_features: int,
    memory: tuple[np.ndarray, np.ndarray] | int,
) -> keras.Model:
    """The functional Keras model of a retrieval plan.

    Parameters
    ----------
    plan : RetrievalPlan
        The architecture, with its head.
    n_features : int
        Width of the feature vector.
    memory : (features, targets) or int
        The memory (see :func:`memory_of`), or its number of rows when the
        weights are set afterwards (a saved network rebuilt).

    Returns
    -------
    keras.Model
        Uncompiled; layer ``retrieval`` holds the memory, ``head`` is the
        output layer.
    """
    if isinstance(memory, (int, np.integer)):
        rows, values = int(memory), None
    else:
        values = memory
        rows = len(values[0])
        if values[0].shape != (rows, n_features) or values[1].shape != (
            rows,
            plan.head_units,
        ):
            raise ValueError(
                f"The memory must be rows x {n_features} features and rows x "
                f"{plan.head_units} targets, got {values[0].shape} and "
                f"{values[1].shape}."
            )
    if rows < 1:
        raise ValueError("A retrieval network needs at least one memory row.")
    w = plan.width
    inputs = keras.Input(shape=(int(n_features),), name="features")
    context = RetrievalContext(
        rows,
        plan.head_units,
        w,
        plan.k,
        plan.dropout,
        train_candidates=plan.train_candidates,
        memory_gradients=plan.memory_gradients,
        name="retrieval",
    )
    h = context(inputs)
    if values is not None:
        context.memory.assign(values[0])
        context.memory_targets.assign(values[1])
    z = layers.Dense(2 * w, activation="relu", name="head_hidden")(
        layers.LayerNormalization(name="head_norm")(h)
    )
    z = layers.Dense(w, name="head_back")(layers.Dropout(plan.dropout)(z))
    h = layers.Add(name="head_add")([h, z])
    h = layers.Activation("relu")(layers.LayerNormalization(name="head_out_norm")(h))
    y = layers.Dense(
        plan.head_units, activation=plan.head_activation, name="head", dtype="float32"
    )(h)
    return keras.Model(inputs=inputs, outputs=y, name=plan.name)


#: The builder of the learned-retrieval plans, named by their kind: the
#: network keeps training rows, its first two weights.
RETRIEVAL_BUILDER = NetworkBuilder(
    build_retrieval, memory=RowMemory(memory_of, memory_rows, n_weights=2)
)
