"""Seed Keras: per thread, and without importing TensorFlow on other backends."""

from __future__ import annotations

import contextlib
import random
import sys
import threading
from collections.abc import Iterator
from typing import Any

import keras

__all__ = ["seed_draws", "set_random_seed"]

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


# Keras draws the seed of every unseeded initializer and seed generator (a
# Dense layer's kernel initializer, a Dropout layer's generator) from Python's
# global ``random`` module, which :func:`keras.utils.set_random_seed` seeds.
# That generator is shared by every thread of the process, and on a Dask
# worker, where a trial runs in a worker thread, the event loop thread draws
# from it too: ``dask.sizeof`` samples the items of lists and dicts it sizes
# while data arrives. A draw landing between the seeding and a layer's draw
# gave the layer other initial weights, so the first trials of a fresh worker
# scored differently from the same trials in-process (issue 17). So while a
# fit is seeded, Keras's draws come from a generator of the fitting thread's
# own, seeded alike: the same numbers, whatever other threads draw.
_OWN = threading.local()


class _ThreadDraws:
    """Python's ``random`` module, but a thread's own generator while it has one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(_OWN, "rng", None) or random, name)


with contextlib.suppress(ImportError):
    from keras.src.random import seed_generator

    if getattr(seed_generator, "python_random", None) is random:
        seed_generator.python_random = _ThreadDraws()


@contextlib.contextmanager
def seed_draws(seed: int) -> Iterator[None]:
    """In this block, this thread's Keras draws its default seeds from ``seed``.

    ``random.Random(seed)`` gives the numbers ``random.seed(seed)`` would, so
    a model is initialised exactly as after :func:`set_random_seed` alone.
    """
    previous = getattr(_OWN, "rng", None)
    _OWN.rng = random.Random(seed)
    try:
        yield
    finally:
        _OWN.rng = previous
