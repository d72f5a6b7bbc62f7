"""Run AutoGluon-Tabular on the files :class:`benchmarks._autogluon.AutoGluonAnchor`
writes; executed by the interpreter that has AutoGluon (it imports nothing of
this project).

``python _autogluon_driver.py fit DIR PROBLEM TIME_LIMIT PRESETS SEED``
trains on ``DIR/train.csv`` (target column ``__target__``) and writes
``DIR/fit.json``; ``python _autogluon_driver.py predict DIR`` predicts
``DIR/test.csv`` into ``DIR/predictions.csv``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = "__target__"
METRICS = {
    "regression": "root_mean_squared_error",
    "binary": "accuracy",
    "multiclass": "accuracy",
}


def _read(path: Path):
    import pandas as pd

    categorical = json.loads(path.with_suffix(".json").read_text())["categorical"]
    frame = pd.read_csv(path)
    for col in categorical:
        frame[col] = frame[col].astype("category")
    return frame


def fit(folder: Path, problem: str, time_limit: float, presets: str, seed: int) -> None:
    from autogluon.tabular import TabularPredictor

    train = _read(folder / "train.csv")
    predictor = TabularPredictor(
        label=TARGET,
        problem_type=problem,
        eval_metric=METRICS[problem],
        path=str(folder / "autogluon"),
        verbosity=0,
    )
    # Seed 0 is AutoGluon's own default; another seed starts every model's
    # seeds there.
    extra = {"ag_args_ensemble": {"model_random_seed": seed}} if seed else {}
    predictor.fit(train, time_limit=time_limit, presets=presets, **extra)
    info = {
        "n_models": len(predictor.model_names()),
        "best_model": predictor.model_best,
    }
    (folder / "fit.json").write_text(json.dumps(info))


def predict(folder: Path) -> None:
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor.load(str(folder / "autogluon"), verbosity=0)
    predicted = predictor.predict(_read(folder / "test.csv"))
    pd.DataFrame({"prediction": predicted.to_numpy()}).to_csv(
        folder / "predictions.csv", index=False
    )


def main(argv: list[str]) -> None:
    command, folder = argv[0], Path(argv[1])
    if command == "fit":
        fit(folder, argv[2], float(argv[3]), argv[4], int(argv[5]))
    elif command == "predict":
        predict(folder)
    else:
        raise SystemExit(f"unknown command {command!r}: fit or predict")


if __name__ == "__main__":
    main(sys.argv[1:])
