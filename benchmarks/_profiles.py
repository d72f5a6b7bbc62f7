"""Profiles: how much of each study to run.

``tiny`` only checks that the harness works end to end (the tests use it);
its scores mean nothing. ``small`` is a smoke-level sanity profile: every
study with every model kind, in about five minutes on 2 idle cores, but on
two folds (the learning curves on one), one seed, two data sets in the
quality study and a two-trial Cerebros "search", so its numbers are thin
evidence. ``full`` is the complete protocol (5 folds x 3 seeds in every
study); its run time is estimated by ``python -m benchmarks --profile full
--study all --estimate`` (see :mod:`benchmarks._estimate`) and stated in
``benchmarks/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["PROFILES", "Profile", "with_overrides"]


@dataclass(frozen=True)
class Profile:
    """Settings shared by every study of one run.

    Attributes
    ----------
    name : str
        Profile name, written into every result row.
    n_splits : int
        Folds of the cross validation (``KFold`` or ``StratifiedKFold`` with
        ``shuffle=True, random_state=0``: fixed splits).
    max_folds : int or None
        Run only the first ``max_folds`` folds of the split (None: all).
    study_folds : dict
        Study name -> ``max_folds`` of that study, where it differs (the
        small profile's learning curves run one fold); see :meth:`for_study`.
    seeds : tuple of int
        ``random_state`` of the models; each fold is fitted once per seed.
    epochs : int
        Largest number of epochs of every network (early stopping decides).
    width : int
        Width of the hidden layers of the residual and plain MLPs.
    cerebros : dict
        Parameters of ``CerebrosRegressor``/``CerebrosClassifier``: the
        search budget.
    quality_datasets, curves_datasets, depth_datasets : tuple of str
        Data sets of each study.
    quality_models, curves_models, depth_models : tuple of str
        Models of each study.
    fractions : tuple of float
        Shares of the training folds in the learning curves.
    depths : tuple of int
        Hidden-layer counts of the depth study.
    """

    name: str
    n_splits: int = 5
    max_folds: int | None = None
    study_folds: dict[str, int] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    epochs: int = 200
    width: int = 128
    cerebros: dict[str, Any] = field(
        default_factory=lambda: {"n_trials": 4, "n_generations": 2, "max_time": 45}
    )
    quality_datasets: tuple[str, ...] = (
        "ames",
        "diabetes",
        "concrete",
        "breast_cancer",
        "wine",
        "attrition",
    )
    quality_models: tuple[str, ...] = (
        "residual_mlp",
        "cerebros",
        "sk_mlp",
        "hgb",
        "linear",
        "lightgbm",
    )
    curves_datasets: tuple[str, ...] = ("ames", "digits")
    curves_models: tuple[str, ...] = ("sk_mlp", "residual_mlp", "cerebros", "hgb")
    fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    depth_datasets: tuple[str, ...] = ("ames",)
    depth_models: tuple[str, ...] = ("residual_mlp", "plain_mlp", "sk_mlp")
    depths: tuple[int, ...] = (1, 2, 4, 8, 16)

    def for_study(self, study: str) -> Profile:
        """This profile with the folds of ``study`` (``study_folds``) applied."""
        if study not in self.study_folds:
            return self
        return replace(self, max_folds=self.study_folds[study], study_folds={})


#: The small profile's Cerebros "search": two random networks, no evolution.
SMALL_CEREBROS: dict[str, Any] = {"n_trials": 2, "n_generations": 1, "max_time": 20}
#: The full profile's: 8 trials in 2 generations, no new trial after 60 s.
FULL_CEREBROS: dict[str, Any] = {"n_trials": 8, "n_generations": 2, "max_time": 60}

PROFILES: dict[str, Profile] = {
    "tiny": Profile(
        name="tiny",
        n_splits=2,
        epochs=3,
        width=8,
        cerebros={
            "n_trials": 1,
            "n_generations": 1,
            "levels": (1, 1),
            "units_per_level": (1, 1),
            "neurons_per_unit": (4, 4),
            "skip_depth": (1, 1),
        },
        fractions=(0.5, 1.0),
        depths=(1, 2),
    ),
    # Smoke level: about 5 minutes for all three studies on 2 idle cores.
    "small": Profile(
        name="small",
        n_splits=3,
        max_folds=2,
        study_folds={"curves": 1},
        cerebros=SMALL_CEREBROS,
        quality_datasets=("ames", "breast_cancer"),
        curves_datasets=("ames",),
        depth_datasets=("ames",),
        depths=(1, 4, 16),
    ),
    "full": Profile(
        name="full",
        n_splits=5,
        seeds=(0, 1, 2),
        cerebros=FULL_CEREBROS,
        quality_datasets=Profile("x").quality_datasets + ("digits",),
        curves_datasets=("ames", "digits"),
        depth_datasets=("ames",),
    ),
}


def with_overrides(profile: Profile, **changes: Any) -> Profile:
    """A copy of ``profile`` with the non-None ``changes`` applied."""
    return replace(profile, **{k: v for k, v in changes.items() if v is not None})
