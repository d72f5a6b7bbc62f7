"""scikit-learn compatible neural-network estimators for tabular data, on Keras 3.

Public estimators and helpers:

* :class:`ResidualMLPRegressor`, :class:`ResidualMLPClassifier`
* :func:`make_tabular_preprocessor`, :func:`load_ames`
* :mod:`sklearn_cerebros.architecture`: network plans as plain data.
"""

from ._residual_mlp import ResidualMLPClassifier, ResidualMLPRegressor
from .architecture import Plan, PlanError

__version__ = "0.1.0.dev0"

__all__ = [
    "Plan",
    "PlanError",
    "ResidualMLPClassifier",
    "ResidualMLPRegressor",
    "__version__",
]
