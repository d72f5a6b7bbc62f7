"""Fixed-seed cases whose outputs are recorded in ``data/reference_outputs.json``.

The file was written by ``python tests/_reference_cases.py`` on the TensorFlow
backend before the fit path was reorganised (issue 13); ``test_reference.py``
checks that the estimators still give those outputs. The cases name the
settings that were the defaults then (robust-scaled numeric columns, one
member), so they keep checking the same networks after the defaults moved.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_iris

from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)

PATH = Path(__file__).parent / "data" / "reference_outputs.json"

_SEARCH = dict(
    levels=(1, 2),
    units_per_level=(1, 2),
    neurons_per_unit=(8, 16),
    n_trials=4,
    n_generations=2,
    epochs=8,
    random_state=0,
    preprocessing="robust",
    ensemble_size=1,  # the single best trial, as the search kept then
    initial_plans=None,  # drawn plans only, as then
    cv=None,  # ranked on a split, as then
    kinds=("levels",),  # levels structures only, as then
)
# What the estimators did by default when the outputs were recorded.
_BEFORE = dict(preprocessing="robust")
_RESIDUAL_BEFORE = dict(_BEFORE, n_members=1)


def cases():
    """``name -> (estimator, task)`` for every estimator kind."""
    return {
        "residual_regressor": (
            ResidualMLPRegressor(epochs=8, random_state=0, **_RESIDUAL_BEFORE),
            "reg",
        ),
        "residual_classifier": (
            ResidualMLPClassifier(epochs=8, random_state=0, **_RESIDUAL_BEFORE),
            "clf",
        ),
        "residual_refit_warm": (
            ResidualMLPRegressor(
                epochs=4, warm_start=True, random_state=1, **_RESIDUAL_BEFORE
            ),
            "warm",
        ),
        "mixer_regressor": (
            MLPMixerRegressor(epochs=5, random_state=0, **_BEFORE),
            "reg",
        ),
        "mixer_classifier": (
            MLPMixerClassifier(epochs=5, random_state=0, **_BEFORE),
            "clf",
        ),
        "search_regressor": (CerebrosRegressor(**_SEARCH), "reg"),
        "search_classifier": (CerebrosClassifier(**_SEARCH), "clf"),
        "search_refit": (CerebrosRegressor(**_SEARCH, refit=True), "reg"),
    }


def outputs(estimator, task: str) -> dict[str, list[float]]:
    """Fit on a bundled data set; the predictions and, for a search, trial scores."""
    if task == "clf":
        X, y = load_iris(return_X_y=True)
        out = {"predict": estimator.fit(X, y).predict_proba(X[::7]).ravel()}
    else:
        X, y = load_diabetes(return_X_y=True)
        estimator.fit(X, y)
        if task == "warm":
            estimator.fit(X, y)
        out = {"predict": estimator.predict(X[::7])}
    if hasattr(estimator, "search_results_"):
        out["scores"] = estimator.search_results_["score"]
    return {k: [float(v) for v in np.ravel(vals)] for k, vals in out.items()}


if __name__ == "__main__":
    recorded = {name: outputs(*case) for name, case in cases().items()}
    PATH.write_text(json.dumps(recorded, indent=1))
    print(f"wrote {PATH}")
