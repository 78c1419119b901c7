"""Conformal shifts bring coverage to the nominal level on representative data."""

from __future__ import annotations

import numpy as np

from forecasting.calibrate import empirical_coverage, fit_shift


def test_shift_fixes_a_too_narrow_interval() -> None:
    rng = np.random.default_rng(0)
    levels = (0.1, 0.5, 0.9)
    truth = rng.normal(0, 1, size=(400, 6))
    narrow = np.stack(
        [np.full((400, 6), -0.3), np.zeros((400, 6)), np.full((400, 6), 0.3)], axis=-1
    )
    before = empirical_coverage(truth, narrow, levels)
    assert before[0.9] < 0.7
    shift = fit_shift(truth, narrow, np.ones(400), levels)
    fresh = rng.normal(0, 1, size=(400, 6))
    after = empirical_coverage(fresh, shift.apply(narrow, np.ones(400)), levels)
    assert abs(after[0.1] - 0.1) < 0.03
    assert abs(after[0.9] - 0.9) < 0.03
