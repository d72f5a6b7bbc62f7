"""Save and load fitted estimators without pickle, through :mod:`skops.io`.

Loading a pickle or joblib file runs whatever code the file names, so such
files are for trusted sources only. A file written by :func:`dump` is a
skops archive: :func:`load` rebuilds only the types it is told to trust
(:func:`get_trusted_types` lists ours) and refuses a file that names any
other, and the Keras networks inside are ``.keras`` files read in Keras's
safe mode, which refuses Lambda layers and unregistered custom objects.

``skops.io.dump`` and ``skops.io.load(file, trusted=get_trusted_types())``
work the same; these functions add compression and the trusted list. They
need the ``persist`` extra: ``pip install "sklearn-cerebros[persist]"``.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from types import ModuleType
from typing import IO, Any

import numpy as np
from sklearn.compose import make_column_selector

from ._backend import keras
from ._mlp_mixer import MLPMixerClassifier, MLPMixerRegressor
from ._persistence import UnsafeNetworkError
from ._residual_mlp import ResidualMLPClassifier, ResidualMLPRegressor
from .preprocessing import (
    PiecewiseLinearEncoder,
    SoftClipRobustScaler,
    TabularFrameCleaner,
    _ToFloat32,
)
from .search._estimators import CerebrosClassifier, CerebrosRegressor

__all__ = ["UnsafeNetworkError", "dump", "get_trusted_types", "load"]

_TRUSTED = (
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
    # the steps of make_tabular_preprocessor()
    PiecewiseLinearEncoder,
    SoftClipRobustScaler,
    TabularFrameCleaner,
    _ToFloat32,
    # its column selectors hold make_column_selector(dtype_include=np.number)
    make_column_selector,
    np.number,
    # a fitted SimpleImputer keeps the dtype it saw
    np.dtype,
)


def _skops_io() -> ModuleType:
    try:
        import skops.io
    except ImportError as exc:
        raise ImportError(
            "sklearn_cerebros.io needs skops, which is not installed. Install it "
            'with: pip install "sklearn-cerebros[persist]"'
        ) from exc
    return skops.io


def get_trusted_types() -> list[str]:
    """Names of the types a file of a sklearn-cerebros estimator may hold.

    These are the estimator classes, the steps of the tabular preprocessor,
    and three numpy and scikit-learn types that skops does not trust by
    default. Pass them to ``skops.io.load(file, trusted=...)``; every other
    type in a file (for example a callable ``scoring`` of a search) must be
    reviewed and trusted explicitly.

    Returns
    -------
    list of str
        Fully qualified type names, sorted.

    Examples
    --------
    >>> from sklearn_cerebros.io import get_trusted_types
    >>> "sklearn_cerebros._residual_mlp.ResidualMLPRegressor" in get_trusted_types()
    True
    """
    return sorted(f"{t.__module__}.{t.__qualname__}" for t in _TRUSTED)


def _check_no_callbacks(estimator: Any) -> None:
    """Refuse Keras callbacks in parameters: skops cannot save them.

    After a fit a callback holds the training model and any Python state its
    class keeps; saving it would need its type trusted, and the model it
    refers to makes skops recurse without end.
    """
    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    for name, value in params.items():
        values = value if isinstance(value, (list, tuple)) else (value,)
        if any(isinstance(v, keras.callbacks.Callback) for v in values):
            raise ValueError(
                f"The parameter {name!r} holds Keras callbacks, which cannot be "
                "saved safely. Set it to None before saving: "
                f"estimator.set_params({name}=None)."
            )


def dump(
    estimator: Any, file: str | os.PathLike | IO[bytes], *, compress: bool = True
) -> None:
    """Save an estimator in the skops format, networks as ``.keras`` files.

    Parameters
    ----------
    estimator : object
        A (fitted) estimator, or any object skops can save, such as a
        :class:`~sklearn.pipeline.Pipeline` ending in one.
    file : str, path-like or binary file object
        Where to write; ``.skops`` is the conventional extension.
    compress : bool, default=True
        Deflate the archive. Its description of the tabular preprocessor is
        verbose JSON, which deflates about twentyfold.

    Raises
    ------
    ValueError
        If a parameter holds Keras callbacks (``callbacks``), which skops
        cannot save.

    See Also
    --------
    load : Read the file back.
    """
    _check_no_callbacks(estimator)
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    if isinstance(file, (str, os.PathLike)):
        file = os.fspath(file)
    _skops_io().dump(estimator, file, compression=compression)


def load(
    file: str | os.PathLike | IO[bytes], *, trusted: Sequence[str | type] = ()
) -> Any:
    """Load a file written by :func:`dump` (or ``skops.io.dump``), running no code.

    Parameters
    ----------
    file : str, path-like or binary file object
        The file to read.
    trusted : sequence of str or type, default=()
        Types to trust besides :func:`get_trusted_types` and skops's defaults
        (which cover scikit-learn's estimators); review them first with
        ``skops.io.get_untrusted_types(file=...)``.

    Returns
    -------
    object
        The saved estimator.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        If the file names a type that is not trusted.
    UnsafeNetworkError
        If a network in the file asks for code: a Lambda layer, or a custom
        object that is not a registered Keras serializable.

    See Also
    --------
    dump : Write such a file.
    """
    if isinstance(file, (str, os.PathLike)):
        file = os.fspath(file)
    return _skops_io().load(file, trusted=[*get_trusted_types(), *trusted])
