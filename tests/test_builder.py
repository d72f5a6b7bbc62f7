"""Sampled Cerebros plans built into Keras models: graph, size, training, saving."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from sklearn_cerebros._keras._builder import build_model
from sklearn_cerebros._keras._layers import LateralGate
from sklearn_cerebros.architecture import (
    CerebrosSpace,
    LevelsPlan,
    connection_counts,
    sample_plan,
    unit_name,
)

N_FEATURES = 6

# Small spaces that between them give skips, laterals, gates, dropout, and
# units with and without batch normalisation.
CASES = {
    "default-small": (CerebrosSpace(levels=(2, 3), neurons_per_unit=(4, 12)), 0),
    "gated-laterals": (
        CerebrosSpace(
            levels=(2, 2),
            units_per_level=(3, 4),
            neurons_per_unit=(4, 8),
            p_lateral=1.0,
            lateral_decay="none",
            gate_every=2,
        ),
        1,
    ),
    "dropout-no-batch-norm": (
        CerebrosSpace(
            levels=(3, 3),
            units_per_level=(1, 3),
            neurons_per_unit=(3, 9),
            p_lateral=0.6,
            gate_every=1,
            batch_norm=False,
            dropout=0.2,
        ),
        2,
    ),
    "deep-skips": (
        CerebrosSpace(
            levels=(4, 4),
            units_per_level=(1, 2),
            neurons_per_unit=(2, 6),
            skip_depth=(2, 4),
        ),
        3,
    ),
    "sparse-repaired": (
        CerebrosSpace(
            levels=(3, 3),
            units_per_level=(2, 3),
            neurons_per_unit=(2, 5),
            affinity_main=0.0,
            activation="tanh",
        ),
        4,
    ),
}
# Tracing a graph for fit costs 3-6 s a model, so one plan (the gated one)
# trains as fit normally does and the others train eagerly.
TRACED = "gated-laterals"


@pytest.fixture(scope="module", params=sorted(CASES))
def built(request):
    space, seed = CASES[request.param]
    plan = sample_plan(space, N_FEATURES, seed)
    keras.utils.set_random_seed(seed)
    return request.param, plan, build_model(plan, N_FEATURES)


def inbound(model: keras.Model) -> dict[str, list[str]]:
    """Layer name -> names of the layers feeding it, in order, from the config."""

    def sources(node):
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history")
            if node.get("class_name") == "__keras_tensor__" and history:
                return [history[0]]
            return [s for value in node.values() for s in sources(value)]
        if isinstance(node, list | tuple):
            return [s for value in node for s in sources(value)]
        return []

    layers = model.get_config()["layers"]
    return {
        layer["name"]: [s for n in layer["inbound_nodes"] for s in sources(n["args"])]
        for layer in layers
    }


def expected_graph(plan: LevelsPlan) -> dict[str, list[str]]:
    """The inbound layers every layer must have, written from the plan."""

    def output(ref):
        if ref == (0, 0):
            return "features"
        unit = plan.unit(*ref)
        return f"{unit_name(*ref)}_{'dropout' if unit.dropout else 'dense'}"

    graph: dict[str, list[str]] = {"features": []}

    def feed(name: str, parts: list[str], last: str) -> None:
        x = parts[0]
        if len(parts) > 1:
            graph[f"{name}_concat"] = parts
            x = f"{name}_concat"
        graph[last] = [x]

    for k, i, unit in plan.iter_units():
        name = unit_name(k, i)
        parts = []
        for v in unit.laterals:
            source = output((k, v))
            if v in unit.gated:
                graph[f"{name}_gate{v}"] = [source]
                source = f"{name}_gate{v}"
            parts.append(source)
        parts += [output(ref) for ref in unit.inputs]
        if unit.batch_norm:
            feed(name, parts, f"{name}_bn")
            graph[f"{name}_dense"] = [f"{name}_bn"]
        else:
            feed(name, parts, f"{name}_dense")
        if unit.dropout:
            graph[f"{name}_dropout"] = [f"{name}_dense"]
    feed("head", [output(ref) for ref in plan.head.inputs], "head")
    return graph


def test_layer_graph_matches_plan(built):
    _, plan, model = built
    assert inbound(model) == expected_graph(plan)
    for k, i, unit in plan.iter_units():
        for v in unit.gated:
            gate = model.get_layer(f"{unit_name(k, i)}_gate{v}")
            assert isinstance(gate, LateralGate)
            assert gate.activation == plan.gate_activation
        dense = model.get_layer(f"{unit_name(k, i)}_dense")
        assert dense.units == unit.neurons


def test_cases_cover_skips_gates_and_repairs():
    plans = {
        name: sample_plan(s, N_FEATURES, seed) for name, (s, seed) in CASES.items()
    }
    counts = {name: connection_counts(plan) for name, plan in plans.items()}
    assert all(c.skip > 0 for c in counts.values()), counts
    assert counts["gated-laterals"].gated >= 2, counts
    assert counts["dropout-no-batch-norm"].gated >= 1, counts
    # With affinity 0 each unit draws one input only: any second one is a repair.
    sparse = plans["sparse-repaired"]
    assert any(len(u.inputs) > 1 for _, _, u in sparse.iter_units()) or (
        len(sparse.head.inputs) > len(sparse.levels[-1])
    )


def test_parameter_count_matches_plan(built):
    _, plan, model = built
    assert model.count_params() == plan.n_params(N_FEATURES)


def test_model_trains_and_round_trips_through_keras_file(built, tmp_path):
    name, plan, model = built
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, N_FEATURES)).astype("float32")
    y = X[:, :1] - X[:, 1:2]
    model.compile("adam", "mse", run_eagerly=name != TRACED)
    history = model.fit(X, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    expected = keras.ops.convert_to_numpy(model(X, training=False))
    again = keras.ops.convert_to_numpy(loaded(X, training=False))
    np.testing.assert_allclose(again, expected, rtol=1e-6, atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [
        layer.name for layer in model.layers
    ]
