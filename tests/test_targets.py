"""Probabilities stay strictly between 0 and 1, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss

from sklearn_cerebros import _targets
from sklearn_cerebros._targets import ClassificationTarget


@pytest.mark.parametrize(
    ("y", "raw"),
    [
        (np.array([0, 1, 1, 0]), np.array([[0.0], [1.0], [1.0 - 1e-12], [0.5]])),
        (
            np.array([0, 1, 2, 2]),
            np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.2] * 3]),
        ),
        (np.array([[0, 1], [1, 0], [1, 1], [0, 0]]), np.array([[0.0, 1.0]] * 4)),
    ],
    ids=["binary", "multiclass", "multilabel"],
)
def test_saturated_outputs_give_probabilities_inside_zero_one(y, raw, monkeypatch):
    target = ClassificationTarget()
    target.fit_transform(y)
    proba = target.proba(raw)
    for values in (proba, proba.astype(np.float32)):
        assert np.all(values > 0) and np.all(values < 1)
        assert np.all(np.isfinite(np.log(values)))
    if target.kind_ != "multilabel-indicator":
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert np.isfinite(log_loss(y, proba.astype(np.float32)))
    # the predicted labels are those of the unclipped probabilities
    monkeypatch.setattr(_targets, "PROBA_MIN", 0.0)
    np.testing.assert_array_equal(
        target.decode(proba), target.decode(target.proba(raw))
    )
