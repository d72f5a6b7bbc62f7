"""The parameter and attribute sections that both search estimators share."""

from .._docstrings import INPUT_ATTRIBUTES_DOC, SCHEDULE_BOUNDS_DOC

__all__ = ["SEARCH_ATTRIBUTES", "SEARCH_DOC", "SEARCH_INTRO"]

#: What ``fit`` does, the opening of both search estimators' docstrings.
SEARCH_INTRO = """
    ``fit`` trains a portfolio of strong networks first (a residual MLP and
    learned-retrieval networks), then evolves the best of them: a later
    generation perturbs the best trials' hyperparameters (width, depth,
    dropout, learning rate, retrieval's ``k``...) or, for networks of levels
    of parallel Dense units wired at random to units one or several levels up
    (skip connections) and beside them (lateral connections, some gated),
    their structure."""

SEARCH_DOC = (
    """
    The seed's search shape is kept with scikit-learn names. The original's
    ``number_of_architecture_moities_to_try`` (structures a generation),
    ``number_of_tries_per_architecture_moity`` (``n_wirings``) and
    ``number_of_generations`` (``n_generations``) multiply to ``n_trials``:
    each generation draws ``ceil(n_trials / (n_generations * n_wirings))``
    structures and wires each ``n_wirings`` times, until ``n_trials`` trials
    are reached. ``metric_to_rank_by`` and ``direction`` become ``scoring``
    (a scikit-learn scorer, greater is better), ``validation_split`` becomes
    ``validation_fraction``, ``patience`` ``n_iter_no_change``, ``seed``
    ``random_state`` and ``project_name`` ``results_dir``.

    **Generations.** Generation 0 is the ``initial_plans``, then plans drawn
    at random from the space (``kinds``) for the slots they leave. Every later
    generation takes the ``max(1, s // 2)`` best successful trials so far
    (``s`` structures a generation; one trial per distinct plan, ranked by
    score, ties broken by fewer parameters) as parents; slot ``i`` moves
    parent ``i mod n_parents`` by one step of its kind: another width, depth,
    dropout, learning rate, ``k`` or number of members, or for a levels
    network a move of :func:`~sklearn_cerebros.architecture.perturb_structure`
    (add or remove a level or a unit, or resize a unit, within the ranges)
    with fresh wiring. At the defaults (``n_trials=6``, ``n_generations=2``)
    generation 0 is the four initial plans and generation 1 two children of
    the best of them.

    **Successive halving** (``strategy="halving"``, asynchronous as in ASHA,
    Li et al., 2020) trains many structures briefly and the best longer.
    The epochs a network has trained for in all climb a ladder of rungs,
    ``epochs / 3**k`` for ``k = n-1, ..., 1, 0`` with the smallest rung of at
    least 5 epochs (``epochs=200``: 7, 22, 67 and 200). Rung 0 trains a
    structure drawn at random from the space, wired once, for the first
    budget (``initial_plans`` are its first trials). Once a rung holds ``n``
    finished trials, its best ``n // 3`` (failed trials never) are
    *promoted*, best first: a promotion is a trial of its own (its own
    index, seed and record, ``parent`` the trial it continues, ``rung`` one
    higher) that trains the parent's network on from its weights (each
    fold's network from its own with ``cv``) for the difference between the
    two rungs' budgets, with early stopping as ever (``start_epoch`` in
    ``trials.jsonl``: the epochs its weights had). The
    optimiser starts afresh (its moments and a ``lr_schedule`` are not
    carried over). Each next trial is the best promotable trial of the
    highest rung that has one, else a fresh structure, until ``n_trials``
    trials, promotions included; every trial is scored and can join the
    ensemble.
    ``n_generations`` and ``n_wirings`` play no part. With ``n_jobs=1`` the
    search repeats with ``random_state`` and a resumed search goes on as the
    uninterrupted one would; with ``n_jobs`` above 1 on joblib's default
    (loky) backend each worker takes the next trial as soon as it is free,
    so which trials finish first shapes the promotions and the results vary
    from run to run (under another joblib backend, such as Dask, ``n_jobs``
    trials run at a time and the next ones are chosen when all have
    finished). It suits a large ``n_trials`` under a ``max_time``: with a
    handful of trials most of them stop at the lowest rung.

    **Trials.** Each trial has its own seed, drawn from ``random_state``: it
    wires its plan, initialises and trains the network with early stopping
    (best weights restored, so the score and the kept model agree) and is
    scored on the held-out rows. A failing trial is recorded with its error
    and the search goes on; only when every trial fails does ``fit`` raise.
    Trials of a generation run through joblib with ``n_jobs`` workers, so
    ``with joblib.parallel_backend("dask"):`` spreads them over a Dask
    cluster. A trial's plan, initial weights and training come from its seed
    alone, so it gives the same result in-process, in joblib's worker
    processes and on Dask workers, freshly started ones included; the results
    of generations do not depend on ``n_jobs`` (with ``max_time`` set, where
    the budget cuts the search does).

    **Bagging.** With ``cv`` (say ``cv=5``) every trial trains one network
    per fold, each early-stopped on its held-out fold, and is ranked on its
    out-of-fold outputs: every row is scored once, by the network that did
    not train on it, so ranking and selection see all rows instead of a
    ``validation_fraction`` share. The trial then predicts the mean of its
    fold networks.

    **After the search** the trials are combined by greedy ensemble selection
    (Caruana et al., 2004, as in auto-sklearn and AutoGluon): starting from
    none, ``ensemble_size`` times the trial (repeats allowed) whose addition
    gives the best ``scoring`` of the averaged held-out (or out-of-fold)
    outputs (predictions for regression, probabilities for classification)
    is added; the best-scoring prefix of those picks is kept (ties: the
    shorter). The trials picked are the ensemble's *entries* (not to be
    confused with ``n_members``, the joint ensemble inside one trial's
    network), and an entry's weight is its share of the kept picks. The
    first pick is the best trial, so the ensemble scores at least as well as
    it on the held-out rows (``ensemble_score_`` against ``best_score_``),
    and ``ensemble_size=1`` keeps the best trial alone. Ties between trials
    go to the one with fewer parameters, then to the earlier one. ``model_``
    is one Keras network that averages the entries' networks with those
    weights, so it predicts, saves and pickles like a single one. With
    ``refit=False`` (the default) these are the very networks that were
    scored, early-stopped on held-out rows.
    ``refit=True`` retrains every entry's plan on all rows, each for its own
    best number of epochs and from its own seed, and keeps the weights; it
    uses more data but gives up early stopping and the reported scores.

    Parameters
    ----------
    levels : (int, int), default=(1, 4)
        Range of the number of hidden levels (the output level is not
        counted).
    units_per_level : (int, int), default=(1, 4)
        Range of parallel units per level.
    neurons_per_unit : (int, int), default=(8, 64)
        Range of neurons per unit.
    skip_depth : (int, int), default=(1, 3)
        Range of levels a predecessor connection may span; at most
        ``levels[1] + 1``.
    affinity_first, affinity_main : float, default=1.0
        Expected share of an earlier level's units a unit connects to.
    rounding_first, rounding_main : {"ceil", "floor", "round"}, default="ceil"
        How expected counts of connections are rounded.
    affinity_decay : {"0.7", "0.95", "none"}, default="0.7"
        Decay of ``affinity_main`` with the distance between levels.
    p_lateral : float, default=0.2
        Probability of a lateral connection per try.
    lateral_decay : {"0.7", "0.95", "none"}, default="0.95"
        Decay of ``p_lateral`` with the distance between units.
    lateral_tries_per_unit : int, default=1
        Tries per possible lateral source.
    max_consecutive_laterals : int, default=2
        Longest run of successful lateral tries of a unit.
    gate_every : int, default=2
        Every n-th lateral connection of a unit is gated; 0 for none.
    gate_activation : str, default="sigmoid"
        Activation of the gates.
    activation : str, default="relu"
        Activation of every unit.
    dropout : float, default=0.0
        Dropout after every unit.
    batch_norm : bool, default=True
        Batch-normalise each unit's input.
    n_members : int, default=1
        Members of a joint ensemble in every trial's network (see
        :class:`~sklearn_cerebros.ResidualMLPRegressor`): members share the
        wired units, each has its own input multipliers and output layer,
        and the network predicts their mean.
    initial_plans : str, plan or list, default=("residual", "retrieval", "retrieval", "retrieval")
        Plans trained first, as they are, before the drawn ones: trials 0,
        1, ... of generation 0 (they count in ``n_trials``, are ranked and
        can join the ensemble like any trial, and are the first parents:
        at the defaults, generation 1 perturbs the best of them; with
        ``kinds=("levels",)`` they are never perturbed). ``"residual"`` is
        the architecture of
        :class:`~sklearn_cerebros.ResidualMLPRegressor`'s defaults
        (:func:`~sklearn_cerebros.architecture.residual_plan`, with its 8
        joint-ensemble members), a strong start that the later trials are
        combined with, as AutoGluon starts from a portfolio of known-good
        configurations. ``"retrieval"`` is
        :class:`~sklearn_cerebros.architecture.RetrievalPlan`'s defaults: a
        network that keeps (up to 4,096 of) its training rows and predicts
        from the most similar of them, as TabR does; it errs where the other
        networks do not, so the ensemble can gain from it (see the user
        guide, "Learned retrieval"). A name given twice trains that plan
        twice, each trial under its own seed. The default, the residual
        network and three retrieval networks, was chosen on every table of
        the benchmark harness, with the previous defaults' four drawn levels
        networks after them (``kinds=("levels",), n_trials=8``): on Ames
        22,517 and 22,679 dollars RMSE at seeds 0 and 1 (22,778 and 22,865 with two retrieval networks,
        23,136 and 23,190 with one, 23,855 with none; a fourth gained less
        than a seed moves the mean), the six other tables within 2 % of
        HistGradientBoosting or better (see the benchmarks page). A
        retrieval epoch costs about 4 times a residual one at 2,000
        training rows and 10 times from 10,000: on a large table,
        ``initial_plans="residual"`` is the faster choice. A list mixes
        names and plans of any registered kind
        (:class:`~sklearn_cerebros.architecture.LevelsPlan`,
        :class:`~sklearn_cerebros.architecture.MixerPlan`,
        :class:`~sklearn_cerebros.architecture.RetrievalPlan`, see
        :class:`~sklearn_cerebros.architecture.PlanKind`); ``None``
        draws every trial. Each gets the search's output head and keeps its
        own ``members``; ``n_members`` is for the drawn plans. A
        ``RetrievalPlan`` that sets its own ``learning_rate`` or
        ``weight_decay`` trains with them instead of the search's.
        With ``strategy="halving"`` they are the first trials of rung 0,
        promoted like any other.
    kinds : str or tuple of str, default="all"
        The kinds of plan the search draws and evolves, from one search
        space (:mod:`sklearn_cerebros.search.space`): ``"levels"`` (levels
        of units and their wiring, the ranges above), ``"residual"`` (width
        32 to 512, 1 to 4 blocks, dropout, 1 to 16 joint-ensemble members),
        ``"retrieval"`` (width, ``k`` 4 to 128, dropout, learning rate and
        weight decay) and ``"mixer"`` (patch size, widths, 1 to 4 blocks,
        dropout, members); ``"all"`` (the default) for every kind, a name or
        a tuple of names for some. The ``initial_plans`` take generation
        0's first slots (it draws only the slots they leave: none at the
        defaults, where the four initial plans fill a generation of three),
        each drawn slot picks a kind at random, then its hyperparameters; a
        later generation's parents are the best trials of any allowed kind
        whose plan lies in the space, the ``initial_plans`` included, and
        each child moves its parent by one step of its own kind (wider or
        narrower, a block more or fewer, another dropout, learning rate,
        ``k`` or number of members; for levels, a move of
        :func:`~sklearn_cerebros.architecture.perturb_structure`). At the
        defaults the search trains the four initial plans, then two
        children of the best of them. ``("levels",)`` draws levels
        structures only, as the search did before it evolved every kind
        (its default until then: after the initial plans, four drawn
        structures, all in generation 0, the initial plans never parents).
        The default was chosen on the benchmark harness and the small tables
        of the 23 (see the benchmarks page, "Does the search search?"):
        against ``("levels",)`` with 8 trials it ties on every table within
        the folds' spread, in less time, and its evolved children take a
        share of the ensemble's weight that the drawn structures did not. An
        unknown name raises a ``ValueError`` listing the kinds.
    space : dict or None, default=None
        Narrows the space of ``kinds``: each key ``"kind.parameter"``
        fixes that hyperparameter of that kind, or narrows it. A value fixes
        it (``{"residual.dropout": 0.1}``); a list keeps those values
        (``{"retrieval.k": [16, 32]}``); a ``(low, high)`` tuple narrows an
        integer to that range (``{"residual.width": (128, 512)}``) or keeps
        the numeric choices within it (``{"retrieval.learning_rate": (3e-4,
        1e-3)}``). The hyperparameters are ``residual.width`` (32 to 512),
        ``n_blocks`` (1 to 4), ``dropout`` (0, 0.1, 0.2 or 0.3) and
        ``members`` (1 to 16); ``retrieval.width`` (32 to 512), ``k`` (4 to
        128), ``dropout``, ``learning_rate`` and ``weight_decay`` (None, the
        search's, or 3e-4, 1e-3, 3e-3 and 1e-5, 1e-4, 1e-3),
        ``train_candidates`` (None, the whole memory, or 128, 256, 512)
        and ``memory_gradients`` (False or True);
        ``mixer.patch_size`` (2 to 16), ``hidden_dim`` (16 to 256),
        ``n_blocks`` (1 to 4), ``token_mlp_dim`` (16 to 256),
        ``channel_mlp_dim`` (16 to 512), ``dropout`` and ``members`` (1 to
        8). The levels kind is narrowed by ``levels``, ``units_per_level``,
        ``neurons_per_unit`` and the other parameters above. Every drawn
        and perturbed plan lies within the narrowed space, and only trials
        within it are parents (an ``initial_plans`` entry outside it is
        still trained, never perturbed). ``fit`` raises a ``ValueError``
        naming the key and what was expected when a key names a kind not in
        ``kinds``, a hyperparameter the kind does not have, or a value
        outside the kind's range. ``None`` (or ``{}``) narrows nothing. An
        ordinary parameter: ``GridSearchCV`` can compare several.
    n_trials : int or None, default=6
        Networks to train in all: at the defaults, the four
        ``initial_plans`` and two children of the best of them. None trains
        trials until ``max_time`` runs out (set it too): the default
        search's trials first, then more generations of children, each as
        large as ``n_trials=6`` makes them, so that the budget decides how
        many generations run.
    n_generations : int, default=2
        Generations of the search (``strategy="generations"``).
    n_wirings : int, default=1
        Wirings tried for each structure (``strategy="generations"``).
    strategy : {"generations", "halving"}, default="generations"
        Which trials the search trains (see above): ``"generations"`` of
        random structures and perturbations of the best, each trained for up
        to ``epochs``; or ``"halving"``, successive halving over epochs, many
        random structures trained briefly and the best trained on from their
        weights. On Ames within ``max_time=120`` (``python -m
        benchmarks.bench_halving``) halving did not beat generations, so
        generations stay the default.
    max_time : float, default=None
        Wall-clock budget in seconds, counted from the start of ``fit``: no
        trial starts after it, and a trial still training then stops at the
        end of its current epoch. Its networks count, with their best
        epochs, when every one of them has trained; a bagged trial whose
        later folds could not start is recorded with ``status="stopped"``
        (and trained again by a resumed search). The first trial is cut so
        that it still counts: each of its networks trains at least one epoch
        and fold networks trained one by one share the time left, so that
        ``fit`` returns a model however small the budget (by the deadline,
        or an epoch of each network after it). ``time_budget_exhausted_``
        says whether the budget cut the
        search short, and the ``stopped`` column of ``search_results_``
        which trials it cut.
    scoring : str or callable, default=None
        Ranks the trials on the held-out rows; None means
        ``"neg_root_mean_squared_error"`` for regression and ``"neg_log_loss"``
        for classification.
    ensemble_size : int, default=25
        Largest number of picks of the greedy ensemble selection (see above);
        1 keeps the best trial alone. It changes no trial, so a search resumed
        from ``results_dir`` with another ``ensemble_size`` trains nothing.
        On Ames with the default 8 trials, 10, 25 and 50 picks scored alike
        (about 10 % lower RMSE than the best trial alone) and 5 picks a
        little worse; 25 leaves room for finer weights over larger searches.
    cv : int, cross-validation splitter or None, default=5
        Cross-validated bagging of every trial. With an int ``k``, each trial
        trains ``k`` networks, one per fold of a shuffled ``KFold``
        (``StratifiedKFold`` for a classifier whose every class has ``k``
        rows), each early-stopped on its held-out fold, as AutoGluon bags its
        models. The out-of-fold outputs, one for every row, rank the trials
        and choose the ensemble, and a trial predicts the mean of its ``k``
        networks. A splitter (``KFold(...)``, ...) must hold out every row
        exactly once. ``None`` trains one network per trial and ranks on a
        ``validation_fraction`` split. ``X_val`` passed to ``fit`` ranks the
        trials instead, without bagging, and so do fewer than ``2 * k`` rows.
        Bagging costs ``k`` times the training per trial, so fewer trials fit
        in a ``max_time``; it ranks and selects on all rows rather than a
        fifth of them. The rule behind the default: on Ames, 5-fold bagging
        took the default search from 25,348 to 23,855 dollars RMSE (5 folds,
        JAX) for about 1.7 times the time (median 164 s a fold against 94,
        2 cores under load), and kept it within 2 % of
        HistGradientBoosting on the other tables of the benchmark harness
        (see the benchmarks page); take ``cv=None`` when time matters more.
    refit : bool, default=False
        Retrain the ensemble's entries on all rows after the search (see
        above); with ``cv``, each entry for the median of its folds' best
        epoch counts, one network in place of its ``k``.
    n_jobs : int, default=None
        Trials trained at once (joblib). Worker processes started by the
        search get their share of the cores for TensorFlow
        (``TF_NUM_INTRAOP_THREADS``, unless you set it), so that two workers
        on two cores do not fight over them. TensorFlow keeps about 12 MB
        for every network it trains, whatever Keras clears, so trials run
        where that memory is given back: with ``n_jobs`` above 1 in joblib's
        worker processes, which loky replaces once they have grown by
        300 MB; with ``n_jobs=1`` and more than 20 trials, in one worker
        process of the search's own (the same results as in this process;
        it costs a few seconds to start). Your process stays flat either way.
    results_dir : str or path-like, default=None
        Where to write every finished trial as it finishes
        (``trials.jsonl``), each successful trial's weights and held-out
        outputs (``trial_NNN.npz``, what the ensemble is selected and built
        from), the search's settings and seed (``search.json``) and the best
        single model so far (``best_model.keras``, with its trial number in
        ``best.json``). None writes nothing.
    resume : bool, default=False
        Continue the search recorded in ``results_dir``: finished trials are
        read back, not retrained, and the ensemble is selected again over all
        of them. The budget may grow: with a larger ``n_trials`` (or
        ``max_time``) the search adds trials. A search keeps the generation
        size it started with, ``ceil(n_trials / (n_generations * n_wirings))``
        structures, so a larger ``n_trials`` adds generations, and a search
        of 4 trials resumed to 8 holds the same trials as one of 8 trials
        with that generation size.
    epochs : int, default=200
        Largest number of epochs per trial.
    batch_size : int, default=64
        Rows per optimiser step.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    early_stopping : bool, default=True
        Early stopping in each trial, on the held-out rows.
    validation_fraction : float, default=0.2
        Share of rows held out for early stopping and ranking when
        ``X_val, y_val`` are not given.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=0.0
        Smallest improvement that counts.
    lr_schedule : {"constant", "warmup_cosine", "plateau"}, default="constant"
        Learning-rate schedule of every trial, as for
        :class:`~sklearn_cerebros.ResidualMLPRegressor`.
"""  # noqa: E501 (a numpydoc parameter line, which cannot wrap)
    + SCHEDULE_BOUNDS_DOC
    + """
    weight_decay : float, default=0.0
        Above 0, every trial trains with AdamW and this decoupled decay.
    preprocessing : {"auto", "robust", "piecewise_linear", "standard"} or None, \
            default="auto"
        How ``X`` is prepared, as for
        :class:`~sklearn_cerebros.ResidualMLPRegressor` (``"auto"``:
        piecewise-linear encoded numeric columns).
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks, run in every trial.
    checkpoint_path : str or path-like, default=None
        File ending in ``.keras`` where the fitted network (the best trial's,
        or the refitted one) is saved at the end of ``fit``.
    tensorboard_dir : str or path-like, default=None
        Directory for TensorBoard logs: one subdirectory per trial
        (``trial_000``, ...) and ``refit`` (``refit/trial_NNN`` per entry
        when the ensemble has several; needs the ``tensorboard`` package).
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the structures and each trial.
    verbose : int, default=0
        ``0`` silent; ``1`` a progress bar over trials whose postfix, refreshed
        about once a second, shows the time used (of ``max_time``), the trials
        running, and the best trial's and the ensemble's scores so far in the
        metric's units (``rmse=24170``), then a line saying why the search
        stopped; ``2`` also Keras's per-epoch progress bars (the postfix then
        changes as trials finish)."""
)

SEARCH_ATTRIBUTES = (
    """
    Attributes
    ----------
    search_results_ : dict of str to list
        One entry per trial, like ``cv_results_`` (load it with
        ``pandas.DataFrame``): trial, generation (with successive halving the
        rung), parent (the trial whose structure was perturbed, or whose
        network a promotion continues; -1 for a sampled one), initial
        (whether it is one of ``initial_plans``), kind (of the trial's plan:
        ``"levels"``, ``"residual"``, ``"retrieval"`` or ``"mixer"``), rung
        (0 for a network
        trained from scratch), seed, status (``"ok"``, ``"failed"``, or
        ``"stopped"`` by ``max_time``), stopped (``"deadline"`` where
        ``max_time`` cut the trial's training short), score,
        rank, epochs, best_epoch, fit_time, sizes, a one-line summary, the
        structure, the plan as a dict, the error text of a failed trial, and
        its ``ensemble_weight`` (0 outside the ensemble).
    best_index_ : int
        Index of the best trial.
    best_score_ : float
        Its score on the held-out rows.
    ensemble_ : list of dict
        The ensemble's entries, ``{"trial": index, "weight": weight}`` in
        trial order; the weights are positive and sum to 1.
    ensemble_score_ : float
        The ensemble's score on the held-out rows (before any refit), at
        least ``best_score_``.
    best_plan_, plan_ : NetworkPlan
        The best trial's architecture (a drawn trial's is a ``LevelsPlan``).
    model_ : keras.Model
        The fitted network: the entries' networks averaged with their
        weights (the best trial's network itself when it is the only entry).
    history_ : dict of str to list of float
        The best trial's per-epoch losses (of its own epochs only when it
        continued another trial's network).
    n_iter_ : int
        Epochs the fitted network was trained for, counted from scratch.
    n_trials_ : int
        Trials finished.
    search_time_ : float
        Seconds the search took.
    time_budget_exhausted_ : bool
        Whether ``max_time`` cut the search short: a proposed trial did not
        start, or a trial's training stopped at the deadline."""
    + INPUT_ATTRIBUTES_DOC
)
