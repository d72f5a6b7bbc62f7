"""The benchmark models, built per task, seed and profile.

Every model takes the raw feature frame (categorical columns, missing
values): our estimators through ``preprocessing="auto"``, scikit-learn's MLP
and the linear models through the same
:func:`~sklearn_cerebros.preprocessing.make_tabular_preprocessor` in a
``Pipeline``, the boosting models through their native categorical support.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros.preprocessing import make_tabular_preprocessor

from ._profiles import Profile

__all__ = ["MODELS", "available_models", "make_model", "training_info"]

Factory = Callable[[str, int, Profile], Any]

#: Hidden layers of the fixed MLPs in the quality and learning-curve studies:
#: the depth of ``ResidualMLPRegressor()`` (2 blocks x 2 layers).
N_LAYERS = 4


def _regression(task: str) -> bool:
    return task == "regression"


def residual_mlp(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """``ResidualMLP*`` with ``depth`` hidden layers in blocks of two.

    Depth 1 is one block of one layer; otherwise ``depth // 2`` blocks of 2
    (the default network, 2 blocks of 2, for depth 4).
    """
    per_block = 1 if depth == 1 else 2
    cls = ResidualMLPRegressor if _regression(task) else ResidualMLPClassifier
    return cls(
        n_blocks=depth // per_block,
        layers_per_block=per_block,
        width=profile.width,
        epochs=profile.epochs,
        random_state=seed,
    )


def plain_mlp(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """The same estimator, trainer and preprocessing without skip connections.

    ``n_blocks=0`` leaves only the plain Dense head layers: a sequential MLP of
    ``depth`` layers of ``profile.width``.
    """
    cls = ResidualMLPRegressor if _regression(task) else ResidualMLPClassifier
    return cls(
        n_blocks=0,
        head_layers=(profile.width,) * depth,
        epochs=profile.epochs,
        random_state=seed,
    )


def sk_mlp(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """scikit-learn's MLP of ``depth`` x ``profile.width``, early stopping on.

    Early stopping (10 % of the rows, patience 10, best weights kept) and the
    epoch cap match our estimators' defaults, so epochs-to-best compare. The
    regression target is standardised, as our estimators do inside.
    """
    params = {
        "hidden_layer_sizes": (profile.width,) * depth,
        "early_stopping": True,
        "max_iter": profile.epochs,
        "random_state": seed,
    }
    if _regression(task):
        return TransformedTargetRegressor(
            regressor=make_pipeline(
                make_tabular_preprocessor(), MLPRegressor(**params)
            ),
            transformer=StandardScaler(),
        )
    return make_pipeline(make_tabular_preprocessor(), MLPClassifier(**params))


def cerebros(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """``Cerebros*`` search with the profile's budget (``profile.cerebros``)."""
    cls = CerebrosRegressor if _regression(task) else CerebrosClassifier
    return cls(epochs=profile.epochs, random_state=seed, **profile.cerebros)


def hgb(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """``HistGradientBoosting*`` with its defaults, categories from the dtype."""
    cls = (
        HistGradientBoostingRegressor
        if _regression(task)
        else HistGradientBoostingClassifier
    )
    return cls(categorical_features="from_dtype", random_state=seed)


def linear(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """``RidgeCV`` or ``LogisticRegression`` after the tabular preprocessor."""
    if _regression(task):
        model = RidgeCV(alphas=np.logspace(-3, 3, 13))
    else:
        model = LogisticRegression(max_iter=2000)
    return make_pipeline(make_tabular_preprocessor(), model)


def lightgbm(task: str, seed: int, profile: Profile, depth: int = N_LAYERS):
    """LightGBM with its defaults (pandas categories used natively)."""
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if _regression(task) else lgb.LGBMClassifier
    return cls(random_state=seed, verbose=-1)


#: name -> (description for the tables, factory(task, seed, profile))
MODELS: dict[str, tuple[str, Factory]] = {
    "residual_mlp": ("ResidualMLP, 2 blocks x 2 layers x width", residual_mlp),
    "plain_mlp": ("ResidualMLP with n_blocks=0: plain Dense layers", plain_mlp),
    "cerebros": ("Cerebros search, the profile's budget", cerebros),
    "sk_mlp": ("scikit-learn MLP, 4 x width, early stopping", sk_mlp),
    "hgb": ("HistGradientBoosting, defaults", hgb),
    "linear": ("RidgeCV / LogisticRegression", linear),
    "lightgbm": ("LightGBM, defaults", lightgbm),
}

#: Models that are neural networks: epochs-to-best is reported for these.
NETWORKS = frozenset({"residual_mlp", "plain_mlp", "cerebros", "sk_mlp"})


def available_models(names: tuple[str, ...] | list[str]) -> list[str]:
    """``names`` without LightGBM when it is not installed."""
    have_lgbm = importlib.util.find_spec("lightgbm") is not None
    return [n for n in names if n != "lightgbm" or have_lgbm]


def make_model(name: str, task: str, seed: int, profile: Profile, **kwargs: Any):
    """An unfitted model ``name`` for ``task``."""
    try:
        factory = MODELS[name][1]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; choose from {sorted(MODELS)}"
        ) from None
    return factory(task, seed, profile, **kwargs)


def _final_step(est: Any) -> Any:
    est = getattr(est, "regressor_", est)
    if hasattr(est, "steps"):
        est = est.steps[-1][1]
    return est


def training_info(est: Any) -> dict[str, Any]:
    """Epochs (or boosting iterations) run, and the epoch whose weights were kept.

    ``n_iter`` is the number of epochs trained (boosting: iterations).
    ``epochs_to_best`` is the 1-based epoch with the best validation loss,
    whose weights the network keeps: for our estimators the minimum of
    ``history_["val_loss"]``; for a Cerebros search the winning trial's
    ``best_epoch``; for scikit-learn's MLP the maximum of
    ``validation_scores_``. Empty for models that are not networks.
    """
    model = _final_step(est)
    info: dict[str, Any] = {"n_iter": "", "epochs_to_best": "", "n_trials": ""}
    results = getattr(model, "search_results_", None)
    if results is not None:
        best = model.best_index_
        info.update(
            n_iter=int(results["epochs"][best]),
            epochs_to_best=int(results["best_epoch"][best]),
            n_trials=int(model.n_trials_),
        )
        return info
    history = getattr(model, "history_", None)
    if isinstance(history, dict) and history.get("val_loss"):
        info.update(
            n_iter=int(model.n_iter_),
            epochs_to_best=int(np.nanargmin(history["val_loss"])) + 1,
        )
        return info
    scores = getattr(model, "validation_scores_", None)
    if scores:
        info.update(
            n_iter=int(model.n_iter_), epochs_to_best=int(np.argmax(scores)) + 1
        )
        return info
    n_iter = getattr(model, "n_iter_", None)
    if n_iter is None:
        n_iter = getattr(model, "n_estimators_", getattr(model, "n_estimators", None))
    if n_iter is not None:
        info["n_iter"] = int(np.max(n_iter))
    return info
