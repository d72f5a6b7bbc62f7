"""Run a trained model on arrays: directly, or through a compiled forward pass.

Our networks are small, so a prediction's time goes to the framework, not to
the arithmetic. Calling a Keras model directly runs it one layer at a time
(about 4.5 ms for one row of the default residual MLP on TensorFlow, 3.8 ms on
JAX, 2.8 ms on PyTorch, 2 CPU cores), and ``model.predict`` adds its batching
machinery on top (about 0.1 s). A compiled forward pass costs a fraction of a
millisecond per call, after a one-off compilation (40–80 ms on TensorFlow,
about 0.15 s per batch shape on JAX).

So :func:`predict_array` runs a compiled forward pass by default, built on
a model's first prediction and kept while the model lives. Every prediction
of a model then takes the same path, so the same rows always give the same
numbers: the direct call and a compiled pass may round differently (about
1e-7 relative for the MLP-Mixer's LayerNorm and GELU). Internal one-off
scoring (an eagerly run fit's validation loss) passes ``compiled=False`` and
pays no compilation. A search trial's held-out rows take the path
:func:`one_off_compiled` names: on JAX the compiled pass, which the fold
networks trained in one compiled model share (a direct call there runs,
and compiles, one operation at a time: a search of four trials on 426 breast
cancer rows took 85 s with it and 51 s through the compiled pass, the same
scores), elsewhere the direct call (a TensorFlow trace costs more than the
few direct calls it replaces).

- TensorFlow: a ``tf.function`` of the model with an unknown row count, traced
  once, with the rows padded up to a multiple of 16. TensorFlow's CPU
  reductions (the mean and variance of a LayerNorm) handle rows in vector
  packets of up to 16 and the rows left over one by one, which rounds
  differently: unpadded, the MLP-Mixer's prediction for a row would depend
  on where in the batch it sits (about 1e-7 relative).
- JAX: ``jax.jit`` of :meth:`keras.Model.stateless_call`, with the rows padded
  up to a power of two (at least 16), so that at most a dozen shapes are ever
  compiled. Rows do not interact at inference, so the zero rows added change
  no result (beyond float32 rounding, which can depend on the batch shape).
- PyTorch: the direct call, which is already about 2.8 ms for one row.

Only the direct call is the Keras API; the compiled paths are the backends'
own equivalents of it, used only when that backend is the one Keras runs on.
Models with several inputs always take the direct call.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from ._rows import max_chunk_rows

__all__ = ["one_off_compiled", "predict_array"]

# Smallest padded row count of the JAX forward pass.
_JAX_MIN_ROWS = 16
# TensorFlow's row count is padded to a multiple of this: the widest vector
# packet of its CPU reductions (16 float32 in AVX-512, a multiple of AVX2's 8).
_TF_ROW_MULTIPLE = 16

Forward = Callable[[np.ndarray], Any]


# Keyed weakly, and the compiled functions hold the model only through a weak
# reference, so a model and its compiled pass are freed together.
_COMPILED: weakref.WeakKeyDictionary[keras.Model, Forward] = weakref.WeakKeyDictionary()


def _pad_rows(x: np.ndarray, size: int) -> np.ndarray:
    """``x`` with zero rows appended up to ``size`` rows.

    Rows do not interact at inference, so the added rows change no result.
    """
    if size <= len(x):
        return x
    return np.concatenate([x, np.zeros((size - len(x), *x.shape[1:]), x.dtype)])


def _call_in_inference(ref: weakref.ref, x: Any) -> Any:
    return ref()(x, training=False)


def _direct(model: keras.Model) -> Forward:
    return functools.partial(_call_in_inference, weakref.ref(model))


def _tensorflow_forward(model: keras.Model) -> Forward:
    import tensorflow as tf

    spec = model.inputs[0]
    dtype = spec.dtype
    # A partial, not a lambda: TensorFlow counts traces per code object, so
    # every model's one trace of a shared lambda looked like retracing and
    # warned ("5 out of the last 5 calls ... triggered tf.function retracing").
    run = tf.function(
        functools.partial(_call_in_inference, weakref.ref(model)),
        input_signature=[tf.TensorSpec((None, *spec.shape[1:]), dtype)],
        reduce_retracing=True,
    )

    def forward(x: np.ndarray) -> np.ndarray:
        n = len(x)
        size = -(-n // _TF_ROW_MULTIPLE) * _TF_ROW_MULTIPLE
        return run(_pad_rows(np.asarray(x, dtype=dtype), size)).numpy()[:n]

    return forward


def _jax_forward(model: keras.Model, max_rows: int) -> Forward:
    import jax

    dtype = model.inputs[0].dtype
    ref = weakref.ref(model)

    @jax.jit
    def run(trainable: list, non_trainable: list, x: Any) -> Any:
        out, _ = ref().stateless_call(trainable, non_trainable, x, training=False)
        return out

    def forward(x: np.ndarray) -> Any:
        m = ref()
        n = len(x)
        size = min(max(_JAX_MIN_ROWS, 1 << (n - 1).bit_length()), max(n, max_rows))
        x = _pad_rows(np.asarray(x, dtype=dtype), size)
        out = run(
            [v.value for v in m.trainable_variables],
            [v.value for v in m.non_trainable_variables],
            x,
        )
        return out[:n]

    return forward


def _compile(model: keras.Model, chunk_size: int) -> Forward:
    """The compiled forward pass of ``model`` on this backend, if it has one."""
    backend = keras.backend.backend()
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return _direct(model)
    if backend == "tensorflow":
        return _tensorflow_forward(model)
    if backend == "jax":
        return _jax_forward(model, chunk_size)
    return _direct(model)


def one_off_compiled() -> bool:
    """Whether a model's few predictions are faster through its compiled pass.

    True on JAX: its direct call dispatches and compiles one operation at a
    time, while the compiled pass is compiled once per model (and shared by
    the fold networks a search trains in one compiled model). False on
    TensorFlow, whose trace of a model costs more than a few direct calls,
    and on PyTorch, which has no compiled pass here.
    """
    return keras.backend.backend() == "jax"


def predict_array(
    model: keras.Model,
    X: np.ndarray,
    chunk_size: int = 8192,
    compiled: bool = True,
) -> np.ndarray:
    """Run a model on an array in inference mode and return a float64 array.

    Parameters
    ----------
    model : keras.Model
        A built model with one output.
    X : ndarray or SparseRows
        Its input rows (see :func:`~._rows.as_batches`).
    chunk_size : int, default=8192
        Rows per call: memory stays bounded however many rows ``X`` has.
        Wide :class:`~._rows.SparseRows` are densified in smaller chunks.
    compiled : bool, default=True
        Whether to use the model's compiled forward pass (built on first
        use, see the module's docstring) or to call the model directly.

    Returns
    -------
    ndarray of float64
        The model's output for every row of ``X``.
    """
    n = len(X)
    if n == 0:
        raise ValueError("Cannot predict on an empty array.")
    if not compiled:
        forward = _direct(model)
    elif (forward := _COMPILED.get(model)) is None:
        forward = _COMPILED[model] = _compile(model, chunk_size)
    step = max_chunk_rows(X, chunk_size)
    parts = [
        keras.ops.convert_to_numpy(forward(X[s : s + step])) for s in range(0, n, step)
    ]
    out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
    return out.astype(np.float64, copy=False)
