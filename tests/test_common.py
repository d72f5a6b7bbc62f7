"""scikit-learn's estimator checks over every public estimator.

The estimators are found in ``sklearn_cerebros.__all__``, so a new one is
checked (and must get fast settings below) as soon as it is exported.
"""

from __future__ import annotations

import inspect

import pytest
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_cerebros
from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros.architecture import RetrievalPlan

PUBLIC_ESTIMATORS = sorted(
    (
        obj
        for name in sklearn_cerebros.__all__
        if inspect.isclass(obj := getattr(sklearn_cerebros, name))
        and issubclass(obj, BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)

# Small, quick networks: the checks fit a few hundred of them.
_RESIDUAL = dict(
    n_blocks=1, width=16, epochs=6, batch_size=256, learning_rate=5e-2, random_state=0
)

# A small mixer: two features a token, so the checks' narrow inputs still give
# several tokens to mix.
_MIXER = dict(
    patch_size=2,
    hidden_dim=8,
    n_blocks=1,
    token_mlp_dim=8,
    channel_mlp_dim=16,
    epochs=6,
    batch_size=256,
    learning_rate=5e-2,
    random_state=0,
)

# Two small trials, so that the fitted model is an ensemble (on small data
# the selection usually keeps both): the checks fit these estimators a
# hundred times each, and tests/test_search.py covers the search itself.
_SEARCH = dict(
    levels=(1, 2),
    units_per_level=(1, 2),
    neurons_per_unit=(16, 32),
    skip_depth=(1, 2),
    batch_norm=False,
    n_trials=2,
    n_generations=1,
    epochs=10,
    batch_size=256,
    learning_rate=5e-2,
    random_state=0,
    initial_plans=None,  # the defaults ("residual", cv=5): the release checks
    cv=None,
    kinds=("levels",),  # tiny levels structures (the default "all" is not tiny)
)

# One small learned-retrieval trial, so that a network with a memory of its
# training rows passes the checks too (in the release run: the default one is
# trial 1, which _ONE_TRIAL below does not reach). It never sees a row's own
# target, so its training score is an honest one: the regressor checks' R^2
# floor of 0.5 on the training rows takes 40 epochs at 1e-2 (0.85; 20 epochs
# at 5e-2 gave 0.18).
_RETRIEVAL = {
    **_SEARCH,
    "initial_plans": [RetrievalPlan(width=16, k=8)],
    "n_trials": 1,
    "epochs": 40,
    "learning_rate": 1e-2,
}

#: Fast settings, by estimator class: one checked instance per entry.
FAST_PARAMS: dict[type, list[dict]] = {
    CerebrosRegressor: [_SEARCH],
    CerebrosClassifier: [_SEARCH],
    ResidualMLPRegressor: [
        # 16 bins a column (the default, piecewise-linear encoding) split the
        # checks' one informative feature over 16 inputs among 144 noise ones:
        # R^2 > 0.5 takes more epochs
        {**_RESIDUAL, "epochs": 15, "learning_rate": 2e-2},
        {**_RESIDUAL, "preprocessing": None},
    ],
    ResidualMLPClassifier: [
        _RESIDUAL,
        {**_RESIDUAL, "preprocessing": None},
    ],
    # the regressor checks ask for R^2 > 0.5 and the classifier checks for 0.83
    # accuracy, which take a mixer on piecewise-linear inputs (the default)
    # more epochs
    MLPMixerRegressor: [{**_MIXER, "epochs": 30, "learning_rate": 2e-2}],
    MLPMixerClassifier: [{**_MIXER, "epochs": 15, "learning_rate": 2e-2}],
}

# The default architecture, trained for a few epochs only: the checks fit each
# estimator about a hundred times. A search trains one trial a fit, not its
# default eight (the budget): at the defaults that is the residual initial
# plan, bagged over 5 folds, so the defaults' bagging and ensemble run through
# every check (the drawn plans run in the fast checks above). Its 40 epochs:
# a fold network sees four fifths of the rows and in fewer epochs misses the
# checks' accuracy (0.83) and R^2 (0.5) floors on piecewise-linear inputs (the
# default), as the residual regressor does in 5.
_FEW_EPOCHS = dict(epochs=5)
_ONE_TRIAL = dict(epochs=40, n_trials=1, n_generations=1)

#: Settings of the run at the default architecture, by estimator class.
DEFAULT_PARAMS: dict[type, dict] = {
    CerebrosRegressor: _ONE_TRIAL,
    CerebrosClassifier: _ONE_TRIAL,
    ResidualMLPRegressor: dict(epochs=10),
    ResidualMLPClassifier: _FEW_EPOCHS,
    MLPMixerRegressor: _FEW_EPOCHS,
    MLPMixerClassifier: _FEW_EPOCHS,
}

_MINI_BATCH = (
    "Mini-batch training: repeating a row twice changes the batches and the "
    "shuffle order, so weight 2 and a duplicated row give different (equally "
    "good) networks. Weights do scale each row's loss (tested in test_residual)."
)

# Dense and sparse input alike.
_WEIGHTS_ARE_NOT_REPEATS = {
    "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH,
    "check_sample_weight_equivalence_on_sparse_data": _MINI_BATCH,
}

#: Checks an estimator cannot pass, by estimator class, each with the reason.
PER_ESTIMATOR_XFAIL_CHECKS: dict[type, dict[str, str]] = {
    CerebrosRegressor: _WEIGHTS_ARE_NOT_REPEATS,
    CerebrosClassifier: _WEIGHTS_ARE_NOT_REPEATS,
    ResidualMLPRegressor: _WEIGHTS_ARE_NOT_REPEATS,
    ResidualMLPClassifier: _WEIGHTS_ARE_NOT_REPEATS,
    MLPMixerRegressor: _WEIGHTS_ARE_NOT_REPEATS,
    MLPMixerClassifier: _WEIGHTS_ARE_NOT_REPEATS,
}


def _expected_failed_checks(estimator: BaseEstimator) -> dict[str, str]:
    return PER_ESTIMATOR_XFAIL_CHECKS.get(type(estimator), {})


def _fast_instances() -> list[BaseEstimator]:
    return [cls(**params) for cls in PUBLIC_ESTIMATORS for params in FAST_PARAMS[cls]]


@parametrize_with_checks(
    _fast_instances(), expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


_SEARCHES = (CerebrosClassifier, CerebrosRegressor)


# CI runs these (marker "slow"): the residual and mixer estimators at their
# default architecture, a few epochs a fit.
@pytest.mark.slow
@parametrize_with_checks(
    [cls(**DEFAULT_PARAMS[cls]) for cls in PUBLIC_ESTIMATORS if cls not in _SEARCHES],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator_at_default_architecture(estimator, check):
    check(estimator)


# A maintainer runs these before a release (marker "release", CONTRIBUTING.md):
# every check trains the default search's first trial bagged over 5 folds.
@pytest.mark.release
@parametrize_with_checks(
    [cls(**DEFAULT_PARAMS[cls]) for cls in _SEARCHES],
    expected_failed_checks=_expected_failed_checks,
)
def test_search_passes_the_checks_at_default_architecture(estimator, check):
    check(estimator)


# The robust encoding (not the default) takes the same path through the
# estimator as the default one, with another numeric encoder: a release check.
@pytest.mark.release
@parametrize_with_checks(
    [
        cls(**_RESIDUAL, preprocessing="robust")
        for cls in (ResidualMLPClassifier, ResidualMLPRegressor)
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator_with_robust_encoding(estimator, check):
    check(estimator)


@pytest.mark.release
@parametrize_with_checks(
    [CerebrosRegressor(**_RETRIEVAL), CerebrosClassifier(**_RETRIEVAL)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator_with_a_retrieval_trial(estimator, check):
    check(estimator)


def test_every_public_estimator_has_check_settings():
    assert {cls.__name__ for cls in PUBLIC_ESTIMATORS} == {
        "CerebrosClassifier",
        "CerebrosRegressor",
        "MLPMixerClassifier",
        "MLPMixerRegressor",
        "ResidualMLPClassifier",
        "ResidualMLPRegressor",
    }
    assert set(FAST_PARAMS) == set(DEFAULT_PARAMS) == set(PUBLIC_ESTIMATORS)
    assert set(PER_ESTIMATOR_XFAIL_CHECKS) <= set(PUBLIC_ESTIMATORS)


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, ids=lambda cls: cls.__name__)
def test_estimator_type_is_recognised(cls):
    est = cls()
    assert is_classifier(est) == cls.__name__.endswith("Classifier")
    assert is_regressor(est) == cls.__name__.endswith("Regressor")
