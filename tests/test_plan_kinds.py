"""Kinds of plan: a new kind is its plan, its builder and one registration.

A toy kind (one hidden Dense layer) is defined here, registered in one place
(the ``toy_kind`` fixture, which undoes it), and goes through a search's
``initial_plans``, ``fit`` and ``predict``, saving with skops in safe mode and
pickle, and the plotting's dispatch, with nothing else of the library told.
"""

from __future__ import annotations

import dataclasses
import pickle
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pytest

from sklearn_cerebros.architecture import (
    LevelsPlan,
    MixerPlan,
    NetworkPlan,
    PlanError,
    PlanKind,
    RetrievalPlan,
    is_plan,
    kind_named,
    kind_of,
    plan_from_dict,
    plan_kinds,
    register_kind,
    residual_plan,
    unregister_kind,
)
from sklearn_cerebros.architecture._common import fields_from_dict, fields_to_dict


# -- the toy kind: its plan (pure Python) ---------------------------------------
@dataclass(frozen=True)
class ToyPlan:
    """One hidden Dense layer of ``width`` neurons, then the head."""

    width: int = 4
    head_units: int = 1
    head_activation: str = "linear"
    name: str = field(default="toy", compare=False)

    FORMAT: ClassVar[str] = "test-toy-plan"

    def with_head(self, units: int, activation: str, members: Any = None) -> ToyPlan:
        return dataclasses.replace(self, head_units=units, head_activation=activation)

    def n_params(self, n_features: int) -> int:
        return (n_features + 1) * self.width + (self.width + 1) * self.head_units

    def describe(self) -> str:
        return f"Toy: one Dense layer of {self.width}"

    def summary(self, n_features: int | None = None) -> str:
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, self.FORMAT, 1)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToyPlan:
        return fields_from_dict(cls, data, cls.FORMAT, 1, "toy plan")


# -- its builder (Keras) ----------------------------------------------------------
def build_toy(plan: ToyPlan, n_features: int):
    from sklearn_cerebros._backend import keras

    inputs = keras.Input((n_features,), name="features")
    x = keras.layers.Dense(plan.width, activation="relu", name="hidden")(inputs)
    y = keras.layers.Dense(
        plan.head_units, activation=plan.head_activation, name="head"
    )(x)
    return keras.Model(inputs=inputs, outputs=y, name=plan.name)


# -- its one registration --------------------------------------------------------
@pytest.fixture
def toy_kind():
    from sklearn_cerebros._keras import NetworkBuilder

    kind = register_kind(
        PlanKind(
            ToyPlan,
            label="toy",
            state_key="toy_plan",
            # the library's kinds name theirs as "module:name", imported on
            # the first build, so that the architecture needs no Keras
            builder=NetworkBuilder(build_toy),
            sizes=lambda plan: ((plan.width,),),
            no_picture="a toy is one layer",
        )
    )
    yield kind
    unregister_kind(ToyPlan)


# -- the library's kinds -----------------------------------------------------------
def test_the_library_registers_three_kinds_by_format():
    kinds = plan_kinds()
    assert [k.plan_type for k in kinds] == [LevelsPlan, MixerPlan, RetrievalPlan]
    # the formats and state keys of files already written
    assert [k.format for k in kinds] == [
        "sklearn-cerebros-plan",
        "sklearn-cerebros-mixer-plan",
        "sklearn-cerebros-retrieval-plan",
    ]
    assert [k.state_key for k in kinds] == ["plan", "mixer_plan", "retrieval_plan"]
    for plan in (residual_plan(), MixerPlan(), RetrievalPlan()):
        assert isinstance(plan, NetworkPlan)
        assert kind_of(plan) is kind_named(plan.to_dict()["format"])
        assert plan_from_dict(plan.to_dict()) == plan
    assert kind_of(residual_plan()).sizes(residual_plan(n_blocks=1, width=8)) == (
        (8,),
        (8,),
    )
    assert kind_of(MixerPlan()).sizes(MixerPlan(hidden_dim=12)) == ((12,),)
    assert kind_of(RetrievalPlan()).sizes(RetrievalPlan(width=16)) == ((16,),)


def test_an_unknown_plan_or_format_is_a_clear_error():
    assert not is_plan(object())
    with pytest.raises(TypeError, match="not a plan of a registered kind.*LevelsPlan"):
        kind_of(object())
    with pytest.raises(PlanError, match="expected a format among"):
        plan_from_dict({"format": "nope"})


def test_a_kind_needs_a_dataclass_with_a_name_and_its_own_format(toy_kind):
    with pytest.raises(TypeError, match="dataclass with a 'name' field"):
        register_kind(PlanKind(int, label="int", state_key="int", builder=None))

    @dataclass(frozen=True)
    class Twin(ToyPlan):
        pass

    with pytest.raises(ValueError, match="already holds format 'test-toy-plan'"):
        register_kind(PlanKind(Twin, label="twin", state_key="twin", builder=None))
    # registering a kind again for the same class replaces it
    assert register_kind(toy_kind) is toy_kind
    assert plan_kinds()[-1] is toy_kind


def test_the_registration_is_undone(toy_kind):
    assert is_plan(ToyPlan())
    unregister_kind(ToyPlan)
    assert not is_plan(ToyPlan())
    assert len(plan_kinds()) == 3
    register_kind(toy_kind)  # for the fixture to undo


# -- a toy kind through the library -------------------------------------------------
def test_a_toy_kind_builds_and_plots_through_the_registry(toy_kind):
    from sklearn_cerebros._keras import build
    from sklearn_cerebros.plotting import plot_architecture

    model = build(ToyPlan(width=3), 5)
    assert [layer.name for layer in model.layers] == ["features", "hidden", "head"]
    assert model.count_params() == ToyPlan(width=3).n_params(5)
    with pytest.raises(ValueError, match="A toy plan cannot be built on a base_model"):
        build(ToyPlan(), base_model=model)
    with pytest.raises(ValueError, match="Only a retrieval plan keeps a memory"):
        build(ToyPlan(), 5, memory=4)
    with pytest.raises(TypeError, match="no picture of a toy plan: a toy is one layer"):
        plot_architecture(ToyPlan())
    drawn = dataclasses.replace(toy_kind, picture=lambda plan, ax: ("drawn", plan))
    register_kind(drawn)
    assert plot_architecture(ToyPlan(width=2)) == ("drawn", ToyPlan(width=2))


def test_a_toy_kind_goes_through_a_search_and_saving(toy_kind, tmp_path):
    pytest.importorskip("skops")
    from sklearn_cerebros import CerebrosRegressor
    from sklearn_cerebros.io import dump, load

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=80)
    search = CerebrosRegressor(
        initial_plans=[ToyPlan(width=5)],
        n_trials=1,
        epochs=3,
        batch_size=32,
        cv=None,
        random_state=0,
    ).fit(X, y)
    assert isinstance(search.best_plan_, ToyPlan)
    assert search.best_plan_.width == 5
    record = search.search_results_
    assert record["n_params"][0] == ToyPlan(width=5).n_params(search.n_network_inputs_)
    assert record["n_levels"][0] is None  # not levels of units
    expected = search.predict(X)
    assert expected.shape == (80,) and np.isfinite(expected).all()

    path = tmp_path / "toy.skops"
    dump(search, path)  # trusts nothing beyond the documented list
    restored = load(path)
    assert restored.best_plan_ == search.best_plan_
    assert restored.initial_plans == [ToyPlan(width=5)]
    np.testing.assert_allclose(restored.predict(X), expected, rtol=1e-6)
    again = pickle.loads(pickle.dumps(search))
    np.testing.assert_allclose(again.predict(X), expected, rtol=1e-6)
    state = search.__getstate__()["_sklearn_cerebros_state"]["converted"]
    assert state["best_plan_"] == "toy_plan"


# -- the former name -----------------------------------------------------------------
def test_plan_is_the_deprecated_name_of_levels_plan():
    import sklearn_cerebros
    import sklearn_cerebros.architecture as architecture

    with pytest.warns(FutureWarning, match="use LevelsPlan"):
        from sklearn_cerebros.architecture import Plan
    assert Plan is LevelsPlan
    with pytest.warns(FutureWarning, match="use LevelsPlan"):
        assert sklearn_cerebros.Plan is LevelsPlan
    assert "Plan" not in architecture.__all__ and "Plan" not in sklearn_cerebros.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert architecture.LevelsPlan is LevelsPlan


def test_a_toy_kind_trains_in_worker_processes(toy_kind):
    # A worker process knows only the library's kinds until the search's
    # trials bring the kinds registered where it runs.
    from sklearn_cerebros import CerebrosRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] - X[:, 1]
    search = CerebrosRegressor(
        initial_plans=[ToyPlan(width=3), ToyPlan(width=4)],
        n_trials=2,
        n_jobs=2,
        epochs=2,
        cv=None,
        random_state=0,
    ).fit(X, y)
    assert search.search_results_["status"] == ["ok", "ok"]
    assert isinstance(search.best_plan_, ToyPlan)
