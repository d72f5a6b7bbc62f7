"""The search's progress bar: quiet without ipywidgets, scores in their units,
a postfix that moves while a trial trains, and why the search stopped."""

from __future__ import annotations

import importlib.util
import io
import threading
import time
import warnings

import pytest
from sklearn.metrics import get_scorer

from sklearn_cerebros.search import progress as _progress
from sklearn_cerebros.search.progress import (
    format_duration,
    score_label,
    trial_progress,
)


def _tickers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cerebros-progress"]


def test_bar_shows_trials_and_best_score():
    out = io.StringIO()
    bar = trial_progress(1, 3, 0, file=out, interval=0)
    bar.advance(None)
    bar.advance(0.9234567)
    bar.advance(float("nan"))  # a failed trial keeps the best shown
    bar.close("all 3 trials done")
    text = out.getvalue()
    assert "3/3" in text
    assert "best=0.923457" in text
    assert "nan" not in text
    last = text.splitlines()[-1]
    assert last.startswith("Cerebros search stopped: all 3 trials done; time used ")
    assert last.endswith("; best=0.923457.")


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
    label = score_label(get_scorer(scoring))
    bar = trial_progress(1, 1, 0, label, file=out, interval=0)
    score = -24170.0 if shown[1] < 0 else 0.5
    bar.advance(score, score * 0.9)
    bar.close("1 trial done")
    value = "24170" if shown[1] < 0 else "0.5"
    ensemble = "21753" if shown[1] < 0 else "0.45"
    text = out.getvalue()
    assert f"best {shown[0]}={value}" in text
    assert f"ensemble {shown[0]}={ensemble}" in text
    assert "=-" not in text
    assert label == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-1, "0s"),
        (0.2, "0.2s"),
        (0.5, "0.5s"),
        (3.0, "3s"),
        (9.96, "10s"),
        (12.4, "12s"),
        (60, "60s"),
        (99.4, "99s"),
        (185, "3m05s"),
        (300, "5m"),
        (3600, "1h"),
        (3720, "1h02m"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds, shown):
    assert format_duration(seconds) == shown


def test_postfix_shows_time_used_of_the_budget_running_and_scores():
    out = io.StringIO()
    bar = trial_progress(
        1,
        8,
        0,
        ("rmse", -1),
        max_time=60,
        started=time.time() - 12,
        interval=0,
        file=out,
    )
    assert bar.postfix() == "time=12s/60s"
    bar.set_running(2)
    bar.advance(-24170.0, -23100.0, trial=0)
    assert bar.postfix() == (
        "time=12s/60s, running=2, best rmse=24170, ensemble rmse=23100"
    )
    bar.close("8 trials run")
    assert "time used 12s of 60s; best rmse=24170; ensemble rmse=23100." in (
        out.getvalue()
    )


def test_no_budget_shows_the_time_used_alone():
    bar = trial_progress(1, 2, 0, interval=0, file=io.StringIO())
    assert bar.postfix() == "time=0s"
    bar.close()


def test_folds_and_epochs_within_a_trial_show_until_it_finishes():
    out = io.StringIO()
    bar = trial_progress(1, 4, 0, ("rmse", -1), interval=0, file=out)
    bar.network_done(3, 2, 5)
    assert bar.postfix().endswith("trial 3: folds 2/5")
    bar.epoch_done(3, 7, 100)
    assert bar.postfix().endswith("trial 3: folds 2/5, epoch 7/100")
    bar.network_done(3, 3, 5)  # the next network's epochs start again
    assert bar.postfix().endswith("trial 3: folds 3/5")
    bar.refresh()
    assert "trial 3: folds 3/5" in out.getvalue()
    bar.advance(-1.0, trial=3)
    assert "trial 3" not in bar.postfix()
    bar.close()


def test_the_hooks_reach_the_search_bar_only_while_it_runs():
    bar = trial_progress(1, 4, 0, interval=0, file=io.StringIO())
    _progress.network_done(1, 1, 5)  # no search running: nothing happens
    with bar:
        _progress.network_done(1, 2, 5)
        _progress.epoch_done(1, 3, 10)
        assert bar.postfix().endswith("trial 1: folds 2/5, epoch 3/10")
    assert _progress._ACTIVE is None
    _progress.epoch_done(1, 4, 10)  # closed: nothing happens
    assert "trial 1" not in bar.postfix()


def test_the_hooks_are_thread_safe():
    bar = trial_progress(1, 4, 0, interval=0.001, file=io.StringIO())

    def report(trial: int) -> None:
        for epoch in range(300):
            _progress.epoch_done(trial, epoch + 1, 300)

    with bar:
        threads = [threading.Thread(target=report, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(f"trial {t}: epoch 300/300" in bar.postfix() for t in range(4))


def test_the_ticker_refreshes_on_its_own_and_stops_on_close():
    out = io.StringIO()
    bar = trial_progress(1, 2, 0, interval=0.02, file=out)
    assert bar.ticking and len(_tickers()) == 1
    bar.network_done(0, 1, 3)  # no refresh asked for: the ticker draws it
    deadline = time.monotonic() + 5
    while "trial 0: folds 1/3" not in out.getvalue():
        assert time.monotonic() < deadline, out.getvalue()
        time.sleep(0.01)
    bar.close("2 trials run")
    assert not bar.ticking and _tickers() == []
    closed = out.getvalue()
    time.sleep(0.1)
    assert out.getvalue() == closed  # nothing drawn after the last line
    bar.close("again")  # closing twice does nothing
    assert out.getvalue() == closed


def test_the_ticker_stops_when_the_search_fails():
    bar = trial_progress(1, 2, 0, interval=0.02, file=io.StringIO())
    with pytest.raises(KeyboardInterrupt), bar:
        raise KeyboardInterrupt
    assert not bar.ticking and _tickers() == []


def test_no_ticker_with_keras_bars():
    # verbose=2: Keras's per-epoch bars show the trial, a ticker would draw
    # over them
    bar = trial_progress(2, 2, 0, file=io.StringIO())
    assert not bar.ticking
    bar.close()


def test_no_bar_and_no_thread_when_quiet(capsys):
    bar = trial_progress(0, 3, 0)
    assert not bar.ticking and _tickers() == []
    with bar:
        bar.set_running(1)
        bar.network_done(0, 1, 5)
        _progress.epoch_done(0, 1, 5)
        bar.advance(1.0, 1.0, trial=0)
        bar.refresh()
    bar.close("3 trials run")
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
