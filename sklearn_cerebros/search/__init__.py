"""Cerebros architecture search: ``CerebrosRegressor`` and ``CerebrosClassifier``.

The estimators are a thin shell over one plain function,
:func:`~.core.run_search`, and each role of the search has a module:

================  ==============================================================
``_estimators``   the estimator classes: parameters, data, fitted attributes
``core``          ``run_search(task, proposer, runner, store, ensemble)``
``proposers``     pure: which trials next (the initial plans, generations,
                  successive halving)
``trial``         one trial: train (one network per fold), out-of-fold
                  outputs, score; the bagging folds; a promotion's start
``runner``        the run loops (batches; asynchronous halving), the worker
                  pool, the time budget, the progress bar (``progress``)
``store``         results on disk, the fingerprint, what a resume reads back
``ensemble``      greedy selection of the ensemble's entries, their averaged
                  model, the refit
``records``       pure: a finished trial's record, its rank, the results table
``space``         pure: one search space over every kind of plan (``kinds``):
                  each kind's hyperparameters, draws and one-step moves
================  ==============================================================

This package imports nothing when it is imported, so that ``proposers`` and
``records`` load without Keras; ``sklearn_cerebros.CerebrosRegressor`` loads
``_estimators``.

One ``CerebrosRegressor().fit(X, y)``, hop by hop
-------------------------------------------------
At the defaults (4 initial plans and 4 drawn networks, ``cv=5``,
``ensemble_size=25``, no ``results_dir``, ``n_jobs=None``):

1. ``_estimators._CerebrosSearch.fit``: scikit-learn's ``_fit_context``
   checks the parameters against ``_parameter_constraints``; ``_space``
   makes the :class:`~sklearn_cerebros.architecture.CerebrosSpace` and
   checks ``skip_depth`` against ``levels``. With ``resume=True``,
   ``store.recorded_seed`` reads the seed the search started with.
2. ``_base.BaseNetwork._prepare_fit``: validates and encodes ``X`` (the
   tabular preprocessor of ``preprocessing="auto"``) and ``y`` (the fitted
   ``target_`` scales it), draws the seed from ``random_state``. The shell
   passes ``hold_out=not trial.bags(cv, n_rows)``: with ``cv=5`` and at
   least 10 rows no validation split is made, every row is scored out of
   fold.
3. ``_estimators._folds`` → ``trial.bagging_folds``: 5 shuffled ``KFold``
   folds (``StratifiedKFold`` for a classifier whose classes allow it, on
   the estimator's own ``_stratify`` labels).
4. ``_estimators._store_and_proposer``: ``proposers.resolve_initial_plans``
   turns ``("residual", "retrieval", "retrieval", "retrieval")`` into four
   plan dicts (the residual one with
   ``architecture._residual.RESIDUAL_MEMBERS`` joint-ensemble members) and
   ``proposers.generation_size`` gives 3 plans a generation;
   ``space.resolve_kinds`` checks ``kinds`` (the default ``"all"``: every
   kind of plan; ``("levels",)`` draws levels structures only, as the search
   did before) and
   ``space.resolve_space`` the ``space`` that narrows them (the default
   ``None``: nothing narrowed).
5. With ``results_dir``: ``store.fingerprint`` describes the search and
   ``store.ResultsStore`` opens the directory (on resume it checks the
   fingerprint and keeps the recorded generation size).
6. ``proposers.make_proposer``: a ``GenerationProposer`` drawing from
   ``numpy.random.default_rng(seed)`` (with other ``kinds``, from a
   ``space.SearchSpace`` over those kinds of plan, narrowed by ``space``)
   (a ``HalvingProposer`` for ``strategy="halving"``).
7. ``_estimators._trial_task`` → ``trial.TrialTask``: the space, the output
   head, the encoded rows and folds (``trial.TrialData``), the training
   settings, the target encoder and the scorer (RMSE for regression).
8. ``core.run_search``:

   a. ``store.FinishedTrials``: no trials yet (on resume, those in the
      directory, with their weights and out-of-fold outputs).
   b. ``runner.run_trials``: a progress bar (``progress.TrialProgress``,
      whose ticker thread refreshes it each second with ``verbose=1``; after
      each trial ``runner.EnsembleSoFar`` gives it the ensemble's score so
      far), the ``TimeBudget`` and a
      ``TrialRunner`` (8 trials with ``n_jobs=None``: in this process; more
      than ``IN_PROCESS_TRIALS`` on TensorFlow: in a worker process of the
      search's own; ``n_jobs`` above 1: joblib's workers). ``_run_batches``
      asks the proposer for the next trials with the records so far:
      generation 0 is the 4 initial plans and 4 drawn structures, which is
      all 8 trials.
   c. For each trial, ``TrialRunner.run`` → ``trial.run_trial(spec,
      **task.arguments())``:
      ``trial._trial_plan`` (an initial plan with the task's head, or
      :func:`~sklearn_cerebros.architecture.wire` of the drawn structure),
      then ``trial._train`` → ``trial._bagged``: per fold
      ``_keras.fit_network`` on the other folds, early-stopped on the
      held-out fold (a retrieval network then keeps every training row as
      its memory, ``_keras.remember``), and its outputs on the held-out
      fold; the out-of-fold outputs are scored by ``trial.score_raw``. The
      result (record, fold weights, out-of-fold outputs) goes to
      ``FinishedTrials.add``, which keeps a successful trial (and, with a
      store, writes its arrays, the best model so far and its line of
      ``trials.jsonl``).
   d. ``ensemble.choose``: the successful trials in ``records.rank_key``
      order, ``ensemble.select_ensemble`` over their out-of-fold outputs
      (25 picks, scored by the vectorised ``ensemble.batch_score``, the
      best trial first), the entries with their weights and the ensemble's
      score.
   e. ``ensemble.assemble``: each entry's fold networks rebuilt
      (``trial.trial_networks``) and averaged with their weights into one
      Keras model (``_keras.average_models``); with ``refit=True`` each
      entry is retrained on every row first (``ensemble.refit_network``).

9. ``_estimators._keep_outcome``: the outcome becomes ``search_results_``
   (``records.results_table``), ``ensemble_``, ``ensemble_score_``,
   ``best_index_``, ``best_score_``, ``best_plan_``, ``history_``,
   ``n_iter_``, ``model_`` and the rest; ``checkpoint_path``, when set,
   receives ``model_``.

``predict`` is the estimator core's (``_base``): ``model_`` on the encoded
rows, decoded by ``target_``.
"""
