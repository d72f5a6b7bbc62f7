"""The one place for private helpers of other libraries and version differences."""

from __future__ import annotations

from joblib.parallel import get_active_backend
from sklearn.base import _fit_context
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    validate_data,
)

__all__ = [
    "_check_feature_names_in",
    "_check_sample_weight",
    "_fit_context",
    "default_joblib_backend",
    "validate_data",
]


def default_joblib_backend() -> bool:
    """Whether joblib's active backend is loky, its default process backend.

    False inside ``joblib.parallel_config(backend="dask")`` and the like, where
    the user has said where work should run.
    """
    backend, _ = get_active_backend()
    return type(backend).__name__ == "LokyBackend"
