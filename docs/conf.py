"""Sphinx configuration for the sklearn-cerebros documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
The example gallery is rendered from ``examples/`` without running it.
"""

import os
import re
from datetime import date

# Autodoc imports the package, and with it TensorFlow: keep its logs quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import sklearn_cerebros  # noqa: E402

project = "sklearn-cerebros"
author = "The sklearn-cerebros developers"
copyright = f"{date.today().year}, {author}"
release = sklearn_cerebros.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# -- API pages ---------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # the numpydoc sections already give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Example gallery (rendered, not executed) --------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "plot_gallery": "False",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "write_computation_times": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-cerebros {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []


# -- Docstring hooks -------------------------------------------------------------
# Estimator pages include the methods inherited from scikit-learn (score,
# get_params, set_output, ...). Their docstrings link into scikit-learn's own
# user guide and glossary, which this build cannot resolve without network
# access, so those links are turned into plain text.
_SKLEARN_LINK = re.compile(r":(?:ref|term|doc):`([^`<]*?)\s*<[^`>]*>`")
_SKLEARN_ROLE = re.compile(r":(?:ref|term|doc):`([^`]*)`")


def _is_from_sklearn(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "sklearn" or module.startswith("sklearn.")


def _unlink_sklearn_references(app, what, name, obj, options, lines):
    """Plain text for scikit-learn's cross-references in inherited docstrings."""
    if not _is_from_sklearn(obj):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(r"\1", _SKLEARN_LINK.sub(r"\1", line))


def _quote_shape_names(app, what, name, obj, options, lines):
    """Quote ``(n_features_in_,)`` in shapes: bare, RST reads it as a link.

    Temporary: once the package docstrings write the name in backticks, as
    scikit-learn does, this hook changes nothing and can go.
    """
    for i, line in enumerate(lines):
        lines[i] = line.replace("(n_features_in_,)", "(``n_features_in_``,)")


def setup(app):
    # Run before numpydoc (priority 500) so it sees the cleaned text.
    app.connect("autodoc-process-docstring", _unlink_sklearn_references, priority=400)
    app.connect("autodoc-process-docstring", _quote_shape_names, priority=400)
