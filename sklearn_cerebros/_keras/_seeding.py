"""Seed Keras without importing TensorFlow when another backend runs."""

from __future__ import annotations

import sys
import threading

import keras

__all__ = ["set_random_seed"]

_LOCK = threading.Lock()


def set_random_seed(seed: int) -> None:
    """:func:`keras.utils.set_random_seed`, minus TensorFlow on JAX or PyTorch.

    Keras seeds TensorFlow whenever it is installed, importing it (seconds,
    and its log lines) even under JAX or PyTorch, where no TensorFlow
    operation runs. When TensorFlow is not loaded yet and is not the backend,
    Keras is told for the call that it is absent; everything else (Python's,
    NumPy's and the backend's generators, Keras's global seed) is seeded
    exactly as before.
    """
    from keras.src.utils import module_utils

    lazy_tf = getattr(module_utils, "tensorflow", None)
    skip_tf = (
        keras.backend.backend() != "tensorflow"
        and "tensorflow" not in sys.modules
        and hasattr(lazy_tf, "_available")
    )
    if not skip_tf:
        keras.utils.set_random_seed(seed)
        return
    with _LOCK:
        available = lazy_tf._available
        lazy_tf._available = False
        try:
            keras.utils.set_random_seed(seed)
        finally:
            lazy_tf._available = available
