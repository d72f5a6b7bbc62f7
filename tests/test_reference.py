"""Behaviour is kept across refactors: fixed seeds give the recorded outputs."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from _reference_cases import PATH, cases, outputs

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the outputs were recorded on the TensorFlow backend",
)

RECORDED = json.loads(PATH.read_text())


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_outputs_match_the_recorded_ones(name):
    estimator, task = cases()[name]
    got = outputs(estimator, task)
    for key, expected in RECORDED[name].items():
        # float32 networks; TensorFlow's CPU kernels are not bit-reproducible
        # between processes in every case, so agreement is to float32 rounding.
        np.testing.assert_allclose(got[key], expected, rtol=2e-5, atol=1e-6)
