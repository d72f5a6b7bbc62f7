"""What importing the package costs: which modules load, what reaches stderr."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sklearn_cerebros

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter from the repository root."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environ,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def test_architecture_and_preprocessing_import_without_keras():
    out = _run(
        """
        import json, sys
        import sklearn_cerebros.architecture
        import sklearn_cerebros.preprocessing
        from sklearn_cerebros import LevelsPlan, load_ames, make_tabular_preprocessor
        print(json.dumps(sorted(m for m in ("keras", "tensorflow", "jax", "torch")
                                if m in sys.modules)))
        """
    )
    assert json.loads(out.stdout) == []


def test_search_strategy_imports_without_keras():
    """The search's proposers, records and space are pure: tested without a backend."""
    out = _run(
        """
        import json, sys
        import sklearn_cerebros.search.proposers
        import sklearn_cerebros.search.records
        import sklearn_cerebros.search.space
        print(json.dumps(sorted(m for m in ("keras", "tensorflow", "jax", "torch")
                                if m in sys.modules)))
        """
    )
    assert json.loads(out.stdout) == []


def test_lazy_exports_match_all_and_dir():
    names = set(sklearn_cerebros.__all__)
    assert names <= set(dir(sklearn_cerebros))
    for name in names:
        assert getattr(sklearn_cerebros, name) is not None
    assert sklearn_cerebros.plotting.__name__ == "sklearn_cerebros.plotting"
    namespace: dict[str, object] = {}
    exec("from sklearn_cerebros import *", namespace)
    assert names <= set(namespace)
    with pytest.raises(AttributeError, match="no attribute 'ResidualMLP'"):
        sklearn_cerebros.ResidualMLP  # noqa: B018


_FIT_AND_REPORT = """
    import json, sys, warnings
    import numpy as np
    from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    reg = ResidualMLPRegressor(epochs=2, random_state=0).fit(X, X.sum(axis=1))
    reg.predict(X[:1])
    ResidualMLPClassifier(epochs=2, random_state=0).fit(X, X[:, 0] > 0).predict_proba(X)
    import os
    print(json.dumps({"tensorflow": "tensorflow" in sys.modules,
                      "level": os.environ.get("TF_CPP_MIN_LOG_LEVEL")}))
"""


def test_tensorflow_start_and_fit_print_nothing_to_stderr():
    out = _run(_FIT_AND_REPORT, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL=None)
    assert out.stderr == ""
    assert json.loads(out.stdout) == {"tensorflow": True, "level": "3"}


def test_a_tensorflow_warning_after_import_prints_as_a_warning():
    # TensorFlow's logger binds a handler to the sys.stderr it finds at import,
    # which is ours while Keras imports quietly: it must still work after.
    out = _run(
        """
        import sklearn_cerebros
        from sklearn_cerebros import ResidualMLPRegressor
        import tensorflow as tf
        tf.get_logger().warning("a warning of the user's")
        """,
        KERAS_BACKEND="tensorflow",
        TF_CPP_MIN_LOG_LEVEL=None,
    )
    assert "a warning of the user's" in out.stderr
    assert "Logging error" not in out.stderr


def test_several_models_predicting_do_not_warn_of_retracing():
    # Each model's compiled forward pass is traced once; TensorFlow must not
    # count the traces of different models as one function retracing.
    out = _run(
        """
        import numpy as np
        from sklearn_cerebros import ResidualMLPRegressor
        X = np.random.default_rng(0).normal(size=(40, 3))
        models = [
            ResidualMLPRegressor(n_blocks=1, width=8, n_members=1, epochs=1,
                                 random_state=seed).fit(X, X.sum(axis=1))
            for seed in range(7)
        ]
        for _ in range(3):
            for model in models:
                model.predict(X[:5])
        """,
        KERAS_BACKEND="tensorflow",
        TF_CPP_MIN_LOG_LEVEL=None,
    )
    assert "retracing" not in out.stderr
    assert out.stderr == ""


def test_a_log_level_the_user_set_is_kept():
    out = _run(
        """
        import os, sklearn_cerebros
        from sklearn_cerebros import ResidualMLPRegressor
        print(os.environ["TF_CPP_MIN_LOG_LEVEL"])
        """,
        TF_CPP_MIN_LOG_LEVEL="1",
    )
    assert out.stdout.strip() == "1"


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_jax_backend_never_imports_tensorflow(tmp_path):
    out = _run(
        _FIT_AND_REPORT,
        KERAS_BACKEND="jax",
        TF_CPP_MIN_LOG_LEVEL=None,
        SKLEARN_CEREBROS_JAX_CACHE=str(tmp_path),
    )
    assert json.loads(out.stdout)["tensorflow"] is False
    assert out.stderr == ""
    # The compiled steps went to the persistent cache we configured.
    assert any(tmp_path.iterdir())


def test_jax_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    from sklearn_cerebros._backend import jax_cache_dir

    monkeypatch.delenv("SKLEARN_CEREBROS_JAX_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert jax_cache_dir() == tmp_path / "sklearn_cerebros" / "jax"
    monkeypatch.setenv("SKLEARN_CEREBROS_JAX_CACHE", str(tmp_path / "mine"))
    assert jax_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("SKLEARN_CEREBROS_JAX_CACHE", "0")
    assert jax_cache_dir() is None
