"""The search's progress bar: quiet without ipywidgets, best score shown."""

from __future__ import annotations

import importlib.util
import io
import warnings

from sklearn_cerebros.search import progress as _progress
from sklearn_cerebros.search.progress import trial_progress


def test_bar_shows_trials_and_best_score():
    out = io.StringIO()
    bar = trial_progress(1, 3, 0, file=out)
    bar.advance(None)
    bar.advance(-0.123456)
    bar.advance(float("nan"))  # a failed trial keeps the best shown
    bar.close()
    text = out.getvalue()
    assert "3/3" in text
    assert "best=-0.1235" in text
    assert "nan" not in text


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
