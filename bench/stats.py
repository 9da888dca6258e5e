"""Percentiles of one load window and medians over repetitions."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values (`share` in 0..100); NaN when empty."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Iterable[float | None]) -> float | None:
    """The median of the known values; None when none is known."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(known) if known else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator
