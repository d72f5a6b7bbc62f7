"""Give the backend a joblib worker's share of the cores.

``GridSearchCV(n_jobs=2)``, ``cross_val_score(n_jobs=2)`` or
``BaggingRegressor(n_jobs=2)`` fit our estimators in joblib's loky worker
processes. joblib sizes each worker's thread pools to its share of the cores
through ``OMP_NUM_THREADS`` and similar variables, but TensorFlow reads only
its own, ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS``, so every
worker used every core: on 2 cores, ``GridSearchCV(n_jobs=2)`` took 42.6 s
where ``n_jobs=1`` took 27.0 s. TensorFlow reads its variables once, when it
first runs an operation, so :func:`share_cores_in_worker` runs when this
package is imported, before it imports Keras.
"""

from __future__ import annotations

import multiprocessing
import os

__all__ = ["share_cores_in_worker"]


def _in_loky_worker() -> bool:
    from joblib.externals.loky.backend.process import LokyProcess

    return isinstance(multiprocessing.current_process(), LokyProcess)


def share_cores_in_worker() -> None:
    """In a loky worker, set TensorFlow's thread counts to joblib's share.

    The intra-op pool gets ``OMP_NUM_THREADS`` threads (joblib's
    ``cpu_count() // n_jobs``, or what the user set), the inter-op pool one.
    A value the user has set is kept, and nothing changes outside loky
    workers. PyTorch reads ``OMP_NUM_THREADS`` itself; JAX has no thread
    setting that took effect in our measurements.
    """
    share = os.environ.get("OMP_NUM_THREADS", "")
    if not share.isdigit() or int(share) < 1 or not _in_loky_worker():
        return
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", share)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
