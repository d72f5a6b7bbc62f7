"""The search's ``kinds``: drawing and evolving every kind of plan, in a fit.

The proposer and the space are tested without Keras in test_space.py.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from _search_params import TINY
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_cerebros import CerebrosRegressor
from sklearn_cerebros.architecture import (
    CerebrosSpace,
    RetrievalPlan,
    plan_from_dict,
    residual_plan,
)
from sklearn_cerebros.search.space import SearchSpace

# a tiny retrieval network as the one initial plan and 2 drawn in generation 0
# (the initial plan takes one of its 3 slots), then 3 evolved in generation 1
KINDS = {
    **TINY,
    "n_trials": 6,
    "n_generations": 2,
    "epochs": 3,
    "initial_plans": [RetrievalPlan(width=16, k=8)],
}


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    return X, y


# the levels ranges of TINY, to read a trial's plan back as a point
SPACE = SearchSpace(
    CerebrosSpace(
        levels=TINY["levels"],
        units_per_level=TINY["units_per_level"],
        neurons_per_unit=TINY["neurons_per_unit"],
        skip_depth=TINY["skip_depth"],
        batch_norm=TINY["batch_norm"],
    ),
    "all",
)


def _kind(plan: dict) -> str:
    return SPACE.point_of(plan).kind


def test_initial_plans_fill_generation_zero_and_are_the_first_parents(
    regression_data,
):
    # as many initial plans as a generation's slots: generation 0 is them,
    # and generation 1 perturbs the best two, each of its own kind
    X, y = regression_data
    # (within the space's ranges: a plan outside them is never a parent)
    initial = [
        RetrievalPlan(width=32, k=8),
        RetrievalPlan(width=40, k=4, dropout=0.0),
        RetrievalPlan(width=32, k=4, train_candidates=None),
    ]
    search = CerebrosRegressor(
        **{**KINDS, "initial_plans": initial, "kinds": "all"}
    ).fit(X, y)
    table = search.search_results_
    assert table["generation"] == [0, 0, 0, 1, 1, 1]
    assert table["initial"] == [True] * 3 + [False] * 3
    ranked = sorted(range(3), key=lambda i: table["rank"][i])
    assert sorted(set(table["parent"][3:])) == sorted(ranked[:1])  # max(1, 3 // 2)
    for child in range(3, 6):
        assert table["kind"][child] == "retrieval"
        assert table["plan"][child] != table["plan"][table["parent"][child]]


def test_generation_one_evolves_plans_of_other_kinds(regression_data):
    X, y = regression_data
    kinds = ("residual", "retrieval", "mixer")
    search = CerebrosRegressor(**{**KINDS, "kinds": kinds}).fit(X, y)
    table = search.search_results_
    assert table["status"] == ["ok"] * 6
    assert table["generation"] == [0, 0, 0, 1, 1, 1]
    plans = table["plan"]
    for i, parent in enumerate(table["parent"]):
        if table["generation"][i] == 0:
            assert parent == -1
            continue
        # a child of a non-levels plan, of its parent's kind, one step away
        assert parent >= 0
        assert _kind(plans[parent]) in kinds
        assert _kind(plans[i]) == _kind(plans[parent])
        assert plans[i] != plans[parent]
        assert not table["initial"][i]
    assert table["initial"] == [True, False, False, False, False, False]
    for plan in plans[1:]:  # the drawn and evolved ones (the initial is tiny)
        assert _kind(plan) in kinds
        plan_from_dict(plan)
    # the table names each trial's kind, and the picture marks it
    assert table["kind"] == ["retrieval"] + [_kind(plan) for plan in plans[1:]]
    assert sum(table["ensemble_weight"]) == pytest.approx(1.0)
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from sklearn_cerebros.plotting import plot_search_results

    ax = plot_search_results(search).axes[0]
    named = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {f"kind: {kind}" for kind in table["kind"]} <= named
    matplotlib.pyplot.close("all")
    assert np.isfinite(search.predict(X)).all()


def test_kinds_in_a_grid_search_over_a_pipeline(regression_data):
    X, y = regression_data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("search", CerebrosRegressor(**{**KINDS, "n_trials": 2, "epochs": 2})),
        ]
    )
    grid = GridSearchCV(pipe, {"search__kinds": [("levels",), "all"]}, cv=2)
    grid.fit(X, y)
    assert list(grid.cv_results_["param_search__kinds"]) == [("levels",), "all"]
    clone = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_array_equal(clone.predict(X), grid.predict(X))


def test_a_bad_kind_names_the_parameter_and_the_kinds(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="kinds") as info:
        CerebrosRegressor(**{**KINDS, "kinds": ("levels", "resnet")}).fit(X, y)
    message = str(info.value)
    assert "'resnet'" in message
    for kind in ("levels", "residual", "retrieval", "mixer"):
        assert repr(kind) in message


def test_the_resume_fingerprint_holds_kinds_beyond_levels_only(
    regression_data, tmp_path
):
    # a search of levels structures only (the default before kinds="all")
    # keeps the fingerprint it had before kinds existed, so it still resumes
    X, y = regression_data
    levels = {**KINDS, "n_trials": 1, "epochs": 1}  # TINY: kinds=("levels",)
    params = {**levels, "kinds": "all"}  # the estimators' default
    CerebrosRegressor(**levels, results_dir=tmp_path / "a").fit(X, y)
    assert "kinds" not in json.loads((tmp_path / "a" / "search.json").read_text())
    with pytest.raises(ValueError, match="kinds differ"):
        CerebrosRegressor(**params, results_dir=tmp_path / "a", resume=True).fit(X, y)
    CerebrosRegressor(**params, results_dir=tmp_path / "b").fit(X, y)
    stored = json.loads((tmp_path / "b" / "search.json").read_text())
    assert stored["kinds"] == ["levels", "residual", "retrieval", "mixer"]


def test_the_default_budget_runs_two_generations(regression_data):
    # n_trials, n_generations, kinds and strategy at their defaults: the
    # initial plans fill generation 0 and generation 1 perturbs the best of
    # them. The initial plans are the defaults' (a residual network, three
    # retrieval networks) at small sizes of the space, so that this is fast.
    X, y = regression_data
    small = [
        residual_plan(width=32, n_blocks=1),
        RetrievalPlan(width=32, k=8),
        RetrievalPlan(width=32, k=4),
        RetrievalPlan(width=40, k=8, dropout=0.0),
    ]
    search = CerebrosRegressor(
        initial_plans=small, epochs=3, cv=None, batch_size=64, random_state=0
    ).fit(X, y)
    table = search.search_results_
    assert table["status"] == ["ok"] * len(table["trial"])
    assert max(table["generation"]) >= 1
    children = [i for i, g in enumerate(table["generation"]) if g > 0]
    assert children and all(table["parent"][i] >= 0 for i in children)
    best = min(range(len(small)), key=lambda i: table["rank"][i])
    for i in children:
        parent = table["parent"][i]
        assert parent == best  # the best initial plan is the first parent
        assert table["kind"][i] == table["kind"][parent]
        assert table["plan"][i] != table["plan"][parent]
        assert not table["initial"][i]
    assert np.isfinite(search.predict(X)).all()
