"""Saving and loading fitted estimators with skops: no code runs on load."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

skops_io = pytest.importorskip("skops.io")

from sklearn_cerebros import (  # noqa: E402
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    PlanError,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros.architecture import RetrievalPlan, residual_plan  # noqa: E402
from sklearn_cerebros.io import (  # noqa: E402
    UnsafeNetworkError,
    dump,
    get_trusted_types,
    load,
)

# Tiny networks that still hold every custom layer: DropPath (stochastic
# depth) and LateralGate (gated laterals on a level of three units).
FAST = dict(epochs=2, random_state=0)
RESIDUAL = dict(n_blocks=2, width=8, stochastic_depth=0.2, **FAST)
MIXER = dict(patch_size=4, hidden_dim=8, n_blocks=1, stochastic_depth=0.2, **FAST)
SEARCH = dict(
    levels=(1, 2),
    units_per_level=(3, 3),
    neurons_per_unit=(4, 8),
    p_lateral=1.0,
    gate_every=1,
    n_trials=2,
    n_generations=1,
    initial_plans=None,  # drawn plans, so that the model has gated laterals
    cv=None,
    **FAST,
)

ESTIMATORS = {
    "ResidualMLPRegressor": lambda: ResidualMLPRegressor(**RESIDUAL),
    "ResidualMLPClassifier": lambda: ResidualMLPClassifier(**RESIDUAL),
    "MLPMixerRegressor": lambda: MLPMixerRegressor(**MIXER),
    "MLPMixerClassifier": lambda: MLPMixerClassifier(**MIXER),
    "CerebrosRegressor": lambda: CerebrosRegressor(**SEARCH),
    "CerebrosClassifier": lambda: CerebrosClassifier(**SEARCH, refit=False),
    # one learned-retrieval trial: its memory of training rows is in the
    # network's weights, and plan_ is a RetrievalPlan
    "CerebrosRegressorRetrieval": lambda: CerebrosRegressor(
        **{**SEARCH, "n_trials": 1, "initial_plans": "retrieval"}
    ),
    # plan objects in a parameter, beside a name: stored as plain data too,
    # a retrieval plan with its own training settings among them
    "CerebrosRegressorPlanObjects": lambda: CerebrosRegressor(
        **{
            **SEARCH,
            "n_trials": 2,
            "initial_plans": (
                RetrievalPlan(width=8, k=4, learning_rate=3e-3, weight_decay=1e-4),
                "residual",
            ),
        }
    ),
}


def _frame(n: int = 120) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A raw frame (categories, missing values) and a target per task."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "area": rng.normal(100, 20, n),
            "rooms": rng.integers(1, 6, n).astype(float),
            "city": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "style": rng.choice(["old", "new"], n).astype(object),
        }
    )
    X.loc[::7, "area"] = np.nan
    X.loc[::11, "style"] = None
    y = X["area"].fillna(100).to_numpy() * 3 + X["rooms"].to_numpy() * 10
    labels = np.where(y > np.median(y), "high", "low")
    return X, y, labels


def _fit(name: str) -> object:
    X, y, labels = _frame()
    return ESTIMATORS[name]().fit(X, labels if "Classifier" in name else y)


def _outputs(estimator: object, X: pd.DataFrame) -> list[np.ndarray]:
    out = [estimator.predict(X)]
    if hasattr(estimator, "predict_proba"):
        out.append(estimator.predict_proba(X))
    return out


def _network_bytes(model: keras.Model, tmp_path: Path) -> np.ndarray:
    path = tmp_path / "net.keras"
    model.save(path)
    return np.frombuffer(path.read_bytes(), dtype=np.uint8)


@pytest.fixture(scope="module")
def fitted_regressor():
    return _fit("ResidualMLPRegressor")


# -- round trips ----------------------------------------------------------------
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_every_estimator_round_trips_through_skops(name, tmp_path):
    estimator = _fit(name)
    X = _frame()[0]
    path = tmp_path / "model.skops"
    skops_io.dump(estimator, path)
    # The file names nothing beyond the documented list and skops's defaults.
    assert set(skops_io.get_untrusted_types(file=path)) <= set(get_trusted_types())
    restored = skops_io.load(path, trusted=get_trusted_types())
    for got, expected in zip(
        _outputs(restored, X), _outputs(estimator, X), strict=True
    ):
        np.testing.assert_array_equal(got, expected)
    assert restored.get_params() == estimator.get_params()
    assert restored.plan_ == estimator.plan_
    assert restored.history_ == estimator.history_


def test_dump_compresses_and_load_trusts_our_types(fitted_regressor, tmp_path):
    X = _frame()[0]
    dump(fitted_regressor, tmp_path / "small.skops")
    dump(fitted_regressor, tmp_path / "big.skops", compress=False)
    small = (tmp_path / "small.skops").stat().st_size
    assert small < 0.7 * (tmp_path / "big.skops").stat().st_size
    restored = load(tmp_path / "small.skops")
    np.testing.assert_array_equal(restored.predict(X), fitted_regressor.predict(X))


def test_dump_names_a_parameter_holding_keras_callbacks(tmp_path):
    reg = ResidualMLPRegressor(callbacks=[keras.callbacks.EarlyStopping()])
    pipe = make_pipeline(StandardScaler(), reg)
    with pytest.raises(ValueError, match="residualmlpregressor__callbacks=None"):
        dump(pipe, tmp_path / "model.skops")
    assert not (tmp_path / "model.skops").exists()


def test_pipeline_with_a_strict_estimator_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    pipe = make_pipeline(
        StandardScaler(), ResidualMLPRegressor(**RESIDUAL, preprocessing=None)
    ).fit(X, X.sum(axis=1))
    dump(pipe, tmp_path / "pipe.skops")
    np.testing.assert_array_equal(
        load(tmp_path / "pipe.skops").predict(X), pipe.predict(X)
    )


def test_pickle_goes_through_the_plain_state(fitted_regressor):
    X = _frame()[0]
    state = fitted_regressor.__getstate__()
    assert isinstance(state["model_"], np.ndarray) and state["model_"].dtype == np.uint8
    assert isinstance(state["plan_"], dict)
    assert isinstance(state["target_"], dict)
    restored = pickle.loads(pickle.dumps(fitted_regressor))
    np.testing.assert_array_equal(restored.predict(X), fitted_regressor.predict(X))
    # the original keeps its live objects
    assert isinstance(fitted_regressor.model_, keras.Model)


def test_tandem_base_model_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5)).astype("float32")
    y = X.sum(axis=1)
    inputs = keras.Input((5,))
    base = keras.Model(inputs, keras.layers.Dense(4, name="base_dense")(inputs))
    reg = ResidualMLPRegressor(
        **RESIDUAL, base_model=base, base_trainable_layers=0
    ).fit(X, y)
    dump(reg, tmp_path / "tandem.skops")
    restored = load(tmp_path / "tandem.skops")
    np.testing.assert_array_equal(restored.predict(X), reg.predict(X))
    assert isinstance(restored.base_model, keras.Model)
    for got, expected in zip(
        restored.base_model.get_weights(), base.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(got, expected)


# -- tampered files are refused ---------------------------------------------------
def _rewrite(path: Path, edit) -> None:
    """Rewrite the archive at ``path``: ``edit(schema, entries)`` changes it."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(entries["schema.json"])
    edit(schema, entries)
    entries["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _nodes(node):
    """Every node of a skops schema."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _claim_to_be_popen(schema: dict, entries: dict) -> None:
    for node in _nodes(schema):
        if node.get("__class__") == "TabularFrameCleaner":
            node.update({"__class__": "Popen", "__module__": "subprocess"})


def test_file_naming_an_untrusted_type_is_refused(fitted_regressor, tmp_path):
    path = tmp_path / "tampered.skops"
    dump(fitted_regressor, path)
    # The preprocessor's cleaner step now claims to be a process launcher.
    _rewrite(path, _claim_to_be_popen)
    assert "subprocess.Popen" in skops_io.get_untrusted_types(file=path)
    with pytest.raises(
        skops_io.exceptions.UntrustedTypesFoundException, match="subprocess.Popen"
    ):
        load(path)
    with pytest.raises(skops_io.exceptions.UntrustedTypesFoundException):
        skops_io.load(path, trusted=get_trusted_types())


def _swap_network(path: Path, network: np.ndarray) -> None:
    """Replace the bytes of the estimator's ``model_`` inside the archive."""

    def edit(schema: dict, entries: dict) -> None:
        buffer = io.BytesIO()
        np.save(buffer, network, allow_pickle=False)
        entries[schema["content"]["content"]["model_"]["file"]] = buffer.getvalue()

    _rewrite(path, edit)


class _Unregistered(keras.layers.Layer):
    """A custom layer that was never registered as a Keras serializable."""

    def call(self, inputs):
        return inputs


def _lambda_network() -> keras.Model:
    inputs = keras.Input((4,))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="runs_code")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def _unregistered_network() -> keras.Model:
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(1)(_Unregistered()(inputs)))


@pytest.mark.parametrize(
    "network, message",
    [(_lambda_network, "Lambda"), (_unregistered_network, "_Unregistered")],
    ids=["lambda_layer", "unregistered_layer"],
)
def test_network_that_asks_for_code_is_refused(
    fitted_regressor, tmp_path, network, message
):
    path = tmp_path / "tampered.skops"
    dump(fitted_regressor, path)
    _swap_network(path, _network_bytes(network(), tmp_path))
    # Every type in the file is still a trusted one: skops's audit passes and
    # Keras's safe mode is what refuses the network.
    assert set(skops_io.get_untrusted_types(file=path)) <= set(get_trusted_types())
    with pytest.raises(UnsafeNetworkError, match="'model_'.*safe mode") as info:
        load(path)
    assert message in str(info.value)


def test_stored_plan_is_validated_on_load(fitted_regressor):
    state = fitted_regressor.__getstate__()
    state["plan_"]["levels"][0][0]["neurons"] = 0
    restored = ResidualMLPRegressor.__new__(ResidualMLPRegressor)
    with pytest.raises(PlanError, match="neurons must be at least 1"):
        restored.__setstate__(state)


@pytest.mark.parametrize(
    "stored, message",
    [
        ({"sequence": "set", "items": []}, "must be a dict of 'sequence'"),
        ({"sequence": "list", "items": [{"plan": "x"}]}, "must be a dict"),
        ({"sequence": "list", "items": [{"value": 3}]}, "a plan or a name"),
        (
            {"sequence": "list", "items": [{"plan": {"format": "pickle"}}]},
            "pickle",
        ),
    ],
    ids=["sequence", "plan_not_dict", "not_a_name", "unknown_format"],
)
def test_stored_plans_of_a_parameter_are_checked_on_load(stored, message):
    search = CerebrosRegressor(initial_plans=[residual_plan(width=8), "retrieval"])
    state = search.__getstate__()
    assert state["_sklearn_cerebros_state"]["converted"] == {"initial_plans": "plans"}
    restored = CerebrosRegressor.__new__(CerebrosRegressor)
    restored.__setstate__(state)
    assert restored.get_params() == search.get_params()
    state["initial_plans"] = stored
    with pytest.raises((ValueError, PlanError), match=message):
        CerebrosRegressor.__new__(CerebrosRegressor).__setstate__(state)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda r: r.update(version=99), "this release reads version 1"),
        (lambda r: r["converted"].update(model_="pickle"), "Unknown kind 'pickle'"),
        (lambda r: r["converted"].update(gone_="plan"), "'gone_' is missing"),
    ],
    ids=["newer_version", "unknown_kind", "missing_entry"],
)
def test_malformed_state_record_is_refused(fitted_regressor, edit, message):
    state = fitted_regressor.__getstate__()
    edit(state["_sklearn_cerebros_state"])
    restored = ResidualMLPRegressor.__new__(ResidualMLPRegressor)
    with pytest.raises(ValueError, match=message):
        restored.__setstate__(state)


def test_io_without_skops_names_the_extra(fitted_regressor, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r"sklearn-cerebros\[persist\]"):
        dump(fitted_regressor, tmp_path / "model.skops")
    # the trusted list needs no skops
    assert (
        "sklearn_cerebros.search._estimators.CerebrosRegressor" in get_trusted_types()
    )


# -- a fresh process, on TensorFlow and JAX --------------------------------------
_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_persistence import ESTIMATORS, _fit, _frame, _outputs
    from sklearn_cerebros.io import dump, load

    action, folder = sys.argv[1], sys.argv[2]
    X = _frame()[0]
    for name in ESTIMATORS:
        if action == "save":
            estimator = _fit(name)
            dump(estimator, f"{{folder}}/{{name}}.skops")
        else:
            estimator = load(f"{{folder}}/{{name}}.skops")
        np.savez(f"{{folder}}/{{name}}_{{action}}.npz", *_outputs(estimator, X))
    print("done")
    """
).format(tests=os.path.dirname(__file__))


def _run(backend: str, action: str, folder: Path) -> None:
    if backend == "jax":
        pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, action, str(folder)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.fixture(scope="module", params=["tensorflow", "jax"])
def saved_under(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"saved_{request.param}")
    _run(request.param, "save", folder)
    return request.param, folder


@pytest.mark.release
@pytest.mark.parametrize("load_backend", ["tensorflow", "jax"])
def test_fresh_process_round_trip_across_backends(saved_under, load_backend):
    save_backend, folder = saved_under
    _run(load_backend, "load", folder)
    for name in ESTIMATORS:
        with (
            np.load(folder / f"{name}_save.npz") as saved,
            np.load(folder / f"{name}_load.npz") as loaded,
        ):
            for key in saved:
                if load_backend == save_backend:
                    np.testing.assert_array_equal(loaded[key], saved[key])
                elif loaded[key].dtype.kind == "f":
                    # The same float32 weights; the backends' kernels round
                    # differently (about 1e-7 relative).
                    np.testing.assert_allclose(loaded[key], saved[key], rtol=1e-5)
                else:
                    np.testing.assert_array_equal(loaded[key], saved[key])
