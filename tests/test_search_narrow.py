"""The search's ``space`` parameter in a fit: narrowing, errors, GridSearchCV.

The narrowed space and the proposers are tested without Keras in
test_space_narrow.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _search_params import TINY
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros.search.space import SearchSpace

# two drawn residual networks (one a generation), small when narrowed
NARROW = {**TINY, "n_trials": 2, "n_generations": 2, "epochs": 2, "kinds": "residual"}
SPACE = {
    "residual.width": (32, 40),
    "residual.n_blocks": 1,
    "residual.members": [1, 2],
    "residual.dropout": 0.1,
}


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=80, n_features=4, noise=5.0, random_state=0)
    return X, y


def test_the_parameter_survives_get_params_set_params_and_clone():
    search = CerebrosRegressor(space=SPACE)
    assert search.get_params()["space"] is SPACE  # stored as given
    assert CerebrosClassifier().get_params()["space"] is None
    assert clone(search).get_params()["space"] == SPACE
    other = {"retrieval.k": 16}
    assert search.set_params(space=other).space is other
    # nothing is checked before fit
    CerebrosRegressor(space={"resnet.width": 1}).set_params(space="nonsense")


def test_a_grid_search_over_space_in_a_pipeline(regression_data):
    X, y = regression_data
    pipe = Pipeline(
        [("scale", StandardScaler()), ("search", CerebrosRegressor(**NARROW))]
    )
    grid = GridSearchCV(pipe, {"search__space": [None, SPACE]}, cv=2)
    grid.fit(X, y)
    assert grid.cv_results_["param_search__space"][1] == SPACE
    # refit on the best: its drawn trials within SPACE when it was chosen
    best = grid.best_estimator_.named_steps["search"]
    narrowed = SearchSpace(best._space(), "residual", best.space)
    table = best.search_results_
    assert table["generation"] == [0, 1] and table["parent"] == [-1, 0]
    points = [narrowed.point_of(plan) for plan in table["plan"]]
    assert None not in points
    if best.space is not None:
        for point in points:
            assert 32 <= point.values["width"] <= 40
            assert point.values["n_blocks"] == 1 and point.values["members"] <= 2
            assert point.values["dropout"] == 0.1
    # each trial's kind and weight in the table
    assert table["kind"] == ["residual", "residual"]
    weights = table["ensemble_weight"]
    assert sum(w for w in weights if w > 0) == pytest.approx(1.0)
    assert {e["trial"]: e["weight"] for e in best.ensemble_} == {
        t: w for t, w in zip(table["trial"], weights, strict=True) if w > 0
    }
    assert np.isfinite(grid.predict(X)).all()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"space": {"mixer.n_blocks": 2}}, r"space\['mixer\.n_blocks'\].*not searched"),
        ({"space": {"residual.depth": 2}}, r"residual\.depth.*no hyperparameter"),
        ({"space": {"residual.width": 1000}}, r"\['residual\.width'\] = 1000.*32, 512"),
        ({"space": {"k": 8}}, r"'kind\.parameter'"),
        ({"space": "retrieval.k=8"}, r"space must be None or a dict"),
        ({"kinds": "levels", "space": {"levels.levels": 2}}, r"levels"),
    ],
)
def test_a_bad_space_fails_at_fit_before_any_data_is_read(params, match):
    search = CerebrosRegressor(**{**NARROW, **params})
    with pytest.raises(ValueError, match=match):
        search.fit(np.zeros((4, 2)), [0.0, 1.0, np.nan, 2.0])  # bad y unread


def test_the_resume_fingerprint_holds_space_only_when_set(regression_data, tmp_path):
    X, y = regression_data
    params = {**NARROW, "n_trials": 1, "epochs": 1}
    CerebrosRegressor(**params, results_dir=tmp_path / "a").fit(X, y)
    plain = json.loads((tmp_path / "a" / "search.json").read_text())
    assert "space" not in plain and "kinds" in plain
    with pytest.raises(ValueError, match="space differ"):
        CerebrosRegressor(
            **params, space=SPACE, results_dir=tmp_path / "a", resume=True
        ).fit(X, y)
    CerebrosRegressor(**params, space=SPACE, results_dir=tmp_path / "b").fit(X, y)
    stored = json.loads((tmp_path / "b" / "search.json").read_text())
    assert stored["space"] == {
        "residual.dropout": {"values": [0.1]},
        "residual.members": {"values": [1, 2]},
        "residual.n_blocks": {"values": [1]},
        "residual.width": {"range": [32, 40]},
    }
    # the same narrowing resumes
    CerebrosRegressor(
        **params, space=dict(SPACE), results_dir=tmp_path / "b", resume=True
    ).fit(X, y)
