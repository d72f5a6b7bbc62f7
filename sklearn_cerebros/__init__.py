"""scikit-learn compatible neural-network estimators for tabular data, on Keras 3.

Public estimators and helpers:

* :class:`CerebrosRegressor`, :class:`CerebrosClassifier`: architecture search.
* :class:`ResidualMLPRegressor`, :class:`ResidualMLPClassifier`: residual MLPs.
* :class:`MLPMixerRegressor`, :class:`MLPMixerClassifier`: tabular MLP-Mixers.
* ``GradientHealthWarning``: raised once when training stalls (vanishing
  gradients).
* :func:`make_tabular_preprocessor`: the preprocessing behind
  ``preprocessing="auto"``.
* :func:`load_ames`: the Ames housing table.
* :mod:`sklearn_cerebros.architecture`: network plans as plain data.
* :mod:`sklearn_cerebros.plotting`: pictures of plans, histories and searches.
"""

# before anything imports Keras, and so TensorFlow (see _threads)
from ._threads import share_cores_in_worker

share_cores_in_worker()

from ._keras import GradientHealthWarning  # noqa: E402
from ._mlp_mixer import MLPMixerClassifier, MLPMixerRegressor  # noqa: E402
from ._residual_mlp import ResidualMLPClassifier, ResidualMLPRegressor  # noqa: E402
from ._search import CerebrosClassifier, CerebrosRegressor  # noqa: E402
from .architecture import Plan, PlanError  # noqa: E402
from .datasets import load_ames  # noqa: E402
from .preprocessing import make_tabular_preprocessor  # noqa: E402

__version__ = "0.1.0.dev0"

__all__ = [
    "CerebrosClassifier",
    "CerebrosRegressor",
    "GradientHealthWarning",
    "MLPMixerClassifier",
    "MLPMixerRegressor",
    "Plan",
    "PlanError",
    "ResidualMLPClassifier",
    "ResidualMLPRegressor",
    "__version__",
    "load_ames",
    "make_tabular_preprocessor",
]
