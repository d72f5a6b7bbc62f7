"""AutoGluon-Tabular as an anchor of the benchmarks, run in its own interpreter.

AutoGluon pins versions of pandas, NumPy and scikit-learn that need not be
those of this project, so it lives in a virtualenv of its own::

    python3 -m venv /work/agvenv
    /work/agvenv/bin/pip install "autogluon.tabular[lightgbm,catboost,xgboost]"
    export CEREBROS_AUTOGLUON_PYTHON=/work/agvenv/bin/python

:class:`AutoGluonAnchor` is a scikit-learn-style estimator whose ``fit`` and
``predict`` hand the rows to that interpreter through CSV files (the
categorical columns named, so they come back as categories; class labels as
integer codes, so any label type survives) and run
``_autogluon_driver.py`` there. Without the variable it uses the current
interpreter, which then needs AutoGluon itself.

The fit time a benchmark measures includes starting that interpreter and
importing AutoGluon (a few seconds); ``time_limit`` is AutoGluon's own budget
for training.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DRIVER", "AutoGluonAnchor", "autogluon_python"]

#: The script the AutoGluon interpreter runs (it imports nothing from here).
DRIVER = Path(__file__).resolve().parent / "_autogluon_driver.py"
#: The environment variable naming the interpreter that has AutoGluon.
PYTHON_VARIABLE = "CEREBROS_AUTOGLUON_PYTHON"


def autogluon_python() -> str:
    """The interpreter to run AutoGluon with: ``$CEREBROS_AUTOGLUON_PYTHON``,
    else this one."""
    return os.environ.get(PYTHON_VARIABLE) or sys.executable


def _frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
    else:
        frame = pd.DataFrame(np.asarray(X))
    frame.columns = [f"c{i}" for i in range(frame.shape[1])]
    for col in frame.columns:
        if frame[col].dtype == bool:
            frame[col] = frame[col].astype(int)
    return frame.reset_index(drop=True)


def _write(frame: pd.DataFrame, path: Path) -> None:
    categorical = [
        c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
    ]
    frame.to_csv(path, index=False)
    path.with_suffix(".json").write_text(json.dumps({"categorical": categorical}))


class AutoGluonAnchor:
    """AutoGluon-Tabular's ``TabularPredictor`` at a preset and time limit.

    Parameters
    ----------
    task : {"regression", "classification"}
        The problem; classification is binary or multiclass by the labels.
    time_limit : float
        AutoGluon's ``time_limit`` in seconds.
    presets : str, default="best_quality"
        AutoGluon's ``presets``.
    random_state : int, default=0
        0 leaves AutoGluon's own seeds; another value starts every model's
        seed there (``ag_args_ensemble={"model_random_seed": ...}``).
    python : str or None, default=None
        The interpreter with AutoGluon; None: :func:`autogluon_python`.
    driver : path or None, default=None
        The script that interpreter runs; None: :data:`DRIVER` (the tests
        pass a stand-in).
    """

    def __init__(
        self,
        task: str,
        time_limit: float,
        presets: str = "best_quality",
        random_state: int = 0,
        python: str | None = None,
        driver: str | Path | None = None,
    ) -> None:
        if task not in ("regression", "classification"):
            raise ValueError(
                f"task must be 'regression' or 'classification', got {task!r}"
            )
        if not time_limit or time_limit <= 0:
            raise ValueError(
                f"time_limit must be a positive number, got {time_limit!r}"
            )
        self.task = task
        self.time_limit = time_limit
        self.presets = presets
        self.random_state = random_state
        self.python = python
        self.driver = driver

    def _run(self, *args: str) -> None:
        command = [self.python or autogluon_python(), str(self.driver or DRIVER), *args]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise RuntimeError(
                f"AutoGluon's interpreter ({command[0]}) failed with exit code "
                f"{result.returncode}:\n{tail}"
            )

    def fit(self, X: Any, y: Any) -> AutoGluonAnchor:
        """Train AutoGluon on ``X``, ``y`` in its interpreter; keep its folder."""
        frame = _frame(X)
        y = np.asarray(y)
        if self.task == "classification":
            self.classes_, codes = np.unique(y, return_inverse=True)
            frame["__target__"] = codes
            problem = "binary" if len(self.classes_) == 2 else "multiclass"
        else:
            frame["__target__"] = y.astype(float)
            problem = "regression"
        self.dir_ = Path(tempfile.mkdtemp(prefix="cerebros_autogluon_"))
        _write(frame, self.dir_ / "train.csv")
        self._run(
            "fit",
            str(self.dir_),
            problem,
            str(self.time_limit),
            self.presets,
            str(self.random_state),
        )
        info = json.loads((self.dir_ / "fit.json").read_text())
        self.n_models_ = int(info.get("n_models", 0))
        self.best_model_ = info.get("best_model", "")
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of the fitted AutoGluon, in the labels ``fit`` saw."""
        if not hasattr(self, "dir_"):
            raise RuntimeError("AutoGluonAnchor is not fitted: call fit first")
        _write(_frame(X), self.dir_ / "test.csv")
        self._run("predict", str(self.dir_))
        predicted = pd.read_csv(self.dir_ / "predictions.csv")["prediction"].to_numpy()
        if self.task == "classification":
            return self.classes_[predicted.astype(int)]
        return predicted.astype(float)

    def __del__(self) -> None:
        folder = getattr(self, "dir_", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
