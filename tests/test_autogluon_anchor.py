"""The AutoGluon anchor's plumbing (``benchmarks/_autogluon.py``).

AutoGluon itself is not installed for the tests: a stand-in driver speaks the
same protocol with scikit-learn, reading the rows with the real driver's
reader, so the round trip (columns, categories, missing values, labels of any
type, row order) is what is tested.
"""

import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from benchmarks._autogluon import DRIVER, AutoGluonAnchor

STAND_IN = textwrap.dedent(
    f"""
    import json, sys
    from pathlib import Path
    sys.path.insert(0, {str(DRIVER.parent)!r})
    import joblib
    import pandas as pd
    from sklearn.ensemble import (
        HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    from _autogluon_driver import TARGET, _read

    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "fit":
        train = _read(folder / "train.csv")
        cats = [c for c in train if str(train[c].dtype) == "category"]
        assert cats, "the categorical column did not come back as a category"
        cls = (HistGradientBoostingRegressor if sys.argv[3] == "regression"
               else HistGradientBoostingClassifier)
        model = cls(categorical_features="from_dtype", random_state=int(sys.argv[6]))
        model.fit(train.drop(columns=TARGET), train[TARGET])
        joblib.dump(model, folder / "model.joblib")
        (folder / "fit.json").write_text(json.dumps(
            {{"n_models": 1, "best_model": sys.argv[3] + ":" + sys.argv[5]}}))
    else:
        model = joblib.load(folder / "model.joblib")
        predicted = model.predict(_read(folder / "test.csv"))
        pd.DataFrame({{"prediction": predicted}}).to_csv(
            folder / "predictions.csv", index=False)
    """
)


@pytest.fixture
def stand_in(tmp_path):
    path = tmp_path / "stand_in.py"
    path.write_text(STAND_IN)
    return path


def _table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[::17] = None  # missing values in the categorical column
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "flag": rng.random(n) > 0.5,
            "colour": pd.Categorical(colour),
        },
        index=rng.permutation(np.arange(1000, 1000 + n)),  # not 0..n-1
    )
    return X


def test_regression_round_trip(stand_in):
    X = _table()
    y = 3 * X["x"].to_numpy() + (X["colour"] == "red").to_numpy() * 5
    anchor = AutoGluonAnchor(
        "regression",
        time_limit=10,
        random_state=3,
        python=sys.executable,
        driver=stand_in,
    )
    predicted = anchor.fit(X.iloc[:200], y[:200]).predict(X.iloc[200:])
    assert predicted.shape == (100,) and predicted.dtype == float
    assert anchor.best_model_ == "regression:best_quality"
    assert np.sqrt(np.mean((predicted - y[200:]) ** 2)) < 0.5 * np.std(y)


def test_classification_keeps_the_labels(stand_in):
    X = _table()
    labels = np.where(X["x"].to_numpy() > 0, "yes", "no").astype(object)
    labels[(X["colour"] == "blue").to_numpy()] = "maybe"
    anchor = AutoGluonAnchor(
        "classification", time_limit=10, python=sys.executable, driver=stand_in
    )
    predicted = anchor.fit(X.iloc[:200], labels[:200]).predict(X.iloc[200:])
    assert list(anchor.classes_) == ["maybe", "no", "yes"]
    assert anchor.best_model_ == "multiclass:best_quality"
    assert set(predicted) <= {"maybe", "no", "yes"}
    assert np.mean(predicted == labels[200:]) > 0.9  # rows stayed in order


def test_a_failing_interpreter_is_reported(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text(
        "import sys\nprint('no autogluon here', file=sys.stderr)\nsys.exit(3)\n"
    )
    anchor = AutoGluonAnchor(
        "regression", time_limit=5, python=sys.executable, driver=broken
    )
    with pytest.raises(RuntimeError, match="exit code 3:\nno autogluon here"):
        anchor.fit(_table(20), np.arange(20.0))
    with pytest.raises(RuntimeError, match="not fitted"):
        AutoGluonAnchor("regression", time_limit=5).predict(_table(5))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"task": "ranking", "time_limit": 5}, "task must be"),
        ({"task": "regression", "time_limit": 0}, "time_limit must be"),
    ],
)
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AutoGluonAnchor(**kwargs)


def test_bench_defaults_config_names_the_interpreter(monkeypatch, tmp_path):
    from benchmarks.bench_defaults import factory

    fake = tmp_path / "python"  # an "interpreter" that has every module
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CEREBROS_AUTOGLUON_PYTHON", str(fake))
    built = factory("autogluon_120")("classification", 2)
    assert isinstance(built, AutoGluonAnchor)
    assert (built.task, built.time_limit, built.presets, built.random_state) == (
        "classification",
        120,
        "best_quality",
        2,
    )
    missing = tmp_path / "missing"
    missing.write_text("#!/bin/sh\nexit 1\n")
    missing.chmod(0o755)
    monkeypatch.setenv("CEREBROS_AUTOGLUON_PYTHON", str(missing))
    with pytest.raises(SystemExit, match="cannot import autogluon.tabular"):
        factory("autogluon_60")
