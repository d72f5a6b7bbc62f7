"""The one place for scikit-learn private helpers and version differences."""

from __future__ import annotations

from sklearn.base import _fit_context
from sklearn.utils.validation import _check_sample_weight, validate_data

__all__ = ["_check_sample_weight", "_fit_context", "validate_data"]
