"""A user's joblib workers give TensorFlow their share of the cores, not all."""

from __future__ import annotations

import os

import numpy as np
from sklearn.model_selection import cross_val_score

from sklearn_cerebros import ResidualMLPRegressor, _threads

TF_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def _unset_tf_vars(monkeypatch) -> None:
    """Unset TensorFlow's variables; restored after the test, even if set then."""
    for name in TF_VARS:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def _thread_settings() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", *TF_VARS)}


class _ReportsThreads(ResidualMLPRegressor):
    """Scores by the thread settings of the process that fitted it."""

    def score(self, X, y, sample_weight=None):
        settings = _thread_settings()
        return float(
            settings["TF_NUM_INTRAOP_THREADS"] == settings["OMP_NUM_THREADS"]
            and settings["TF_NUM_INTEROP_THREADS"] == "1"
        )


def test_cross_val_score_workers_share_the_cores(monkeypatch):
    _unset_tf_vars(monkeypatch)  # the workers inherit this environment
    X = np.random.default_rng(0).normal(size=(60, 3))
    reg = _ReportsThreads(n_blocks=1, width=8, epochs=2, random_state=0)
    scores = cross_val_score(reg, X, X.sum(axis=1), cv=2, n_jobs=2)
    assert scores.tolist() == [1.0, 1.0]


def test_share_is_set_only_in_loky_workers_and_keeps_the_users(monkeypatch):
    _unset_tf_vars(monkeypatch)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    _threads.share_cores_in_worker()  # this process is no worker
    assert _thread_settings()["TF_NUM_INTRAOP_THREADS"] is None

    monkeypatch.setattr(_threads, "_in_loky_worker", lambda: True)
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "2")  # the user's own
    _threads.share_cores_in_worker()
    assert _thread_settings() == {
        "OMP_NUM_THREADS": "3",
        "TF_NUM_INTRAOP_THREADS": "3",
        "TF_NUM_INTEROP_THREADS": "2",
    }
