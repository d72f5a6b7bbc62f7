"""The search's progress bar: quiet without ipywidgets, best score shown."""

from __future__ import annotations

import importlib.util
import io
import warnings

import pytest
from sklearn.metrics import get_scorer

from sklearn_cerebros.search import progress as _progress
from sklearn_cerebros.search.progress import score_label, trial_progress


def test_bar_shows_trials_and_best_score():
    out = io.StringIO()
    bar = trial_progress(1, 3, 0, file=out)
    bar.advance(None)
    bar.advance(0.9234567)
    bar.advance(float("nan"))  # a failed trial keeps the best shown
    bar.close("all 3 trials done")
    text = out.getvalue()
    assert "3/3" in text
    assert "best=0.923457" in text
    assert "nan" not in text
    assert text.endswith("Cerebros search stopped: all 3 trials done.\n")


@pytest.mark.parametrize(
    ("scoring", "shown"),
    [
        ("neg_root_mean_squared_error", ("rmse", -1)),
        ("neg_mean_absolute_error", ("mae", -1)),
        ("accuracy", ("accuracy", 1)),
        ("r2", ("r2", 1)),
    ],
)
def test_an_error_is_shown_as_itself_not_negated(scoring, shown):
    out = io.StringIO()
    bar = trial_progress(1, 1, 0, score_label(get_scorer(scoring)), file=out)
    bar.advance(-24170.0 if shown[1] < 0 else 0.5)
    bar.close()
    value = "24170" if shown[1] < 0 else "0.5"
    assert f"{shown[0]}={value}" in out.getvalue()
    assert score_label(get_scorer(scoring)) == shown


def test_no_bar_when_quiet(capsys):
    bar = trial_progress(0, 3, 0)
    bar.advance(1.0)
    bar.close()
    assert capsys.readouterr() == ("", "")


def test_without_ipywidgets_the_text_bar_is_used_quietly(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else find_spec(name, *a),
    )
    from tqdm.std import tqdm

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _progress._tqdm_class() is tqdm
