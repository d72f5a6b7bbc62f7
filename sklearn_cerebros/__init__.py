"""scikit-learn compatible neural-network estimators for tabular data, on Keras 3.

Public estimators and helpers:

* :class:`CerebrosRegressor`, :class:`CerebrosClassifier`: architecture search.
* :class:`ResidualMLPRegressor`, :class:`ResidualMLPClassifier`: residual MLPs.
* :class:`MLPMixerRegressor`, :class:`MLPMixerClassifier`: tabular MLP-Mixers.
* ``GradientHealthWarning``: raised once when training stalls (vanishing
  gradients).
* :func:`make_tabular_preprocessor`: the preprocessing behind
  ``preprocessing="auto"`` and ``"piecewise_linear"``.
* :func:`load_ames`: the Ames housing table.
* :mod:`sklearn_cerebros.architecture`: network plans as plain data.
* :mod:`sklearn_cerebros.plotting`: pictures of plans, histories and searches.
"""

import importlib
import os
from typing import Any

# Before anything imports Keras, and so TensorFlow (see _threads).
from ._threads import share_cores_in_worker

share_cores_in_worker()

# TensorFlow's C++ log lines (CPU features, "failed call to cuInit") stay off
# unless the user chose a level; the lines it writes while loading are kept
# off by ``_backend``. Set ``TF_CPP_MIN_LOG_LEVEL=0`` to see them all.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Public names and the modules that define them, imported on first use
# (PEP 562), so that ``import sklearn_cerebros.architecture`` or
# ``.preprocessing`` does not import Keras and its backend.
_EXPORTS = {
    "CerebrosClassifier": ".search._estimators",
    "CerebrosRegressor": ".search._estimators",
    "GradientHealthWarning": "._keras",
    "MLPMixerClassifier": "._mlp_mixer",
    "MLPMixerRegressor": "._mlp_mixer",
    "LevelsPlan": ".architecture",
    "PlanError": ".architecture",
    "ResidualMLPClassifier": "._residual_mlp",
    "ResidualMLPRegressor": "._residual_mlp",
    "load_ames": ".datasets",
    "make_tabular_preprocessor": ".preprocessing",
}
_SUBMODULES = ("architecture", "datasets", "plotting", "preprocessing", "scikeras")

__version__ = "0.1.0.dev0"

__all__ = [
    "CerebrosClassifier",
    "CerebrosRegressor",
    "GradientHealthWarning",
    "LevelsPlan",
    "MLPMixerClassifier",
    "MLPMixerRegressor",
    "PlanError",
    "ResidualMLPClassifier",
    "ResidualMLPRegressor",
    "__version__",
    "load_ames",
    "make_tabular_preprocessor",
]


def __getattr__(name: str) -> Any:
    if name == "Plan":  # deprecated: architecture warns, and it is not kept here
        return importlib.import_module(".architecture", __name__).Plan
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBMODULES})
