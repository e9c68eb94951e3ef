"""The monthly summary's counts as a nudge's parameters."""

from __future__ import annotations

from dataclasses import asdict, fields

from hypothesis import given
from hypothesis import strategies as st

from data.duty_counts import DutyCounts


@given(st.lists(st.integers(min_value=0), min_size=5, max_size=5))
def test_the_parameters_are_every_count_by_its_name(values: list[int]) -> None:
    counts = DutyCounts(*values)
    assert counts.params() == asdict(counts)
    assert list(counts.params()) == [f.name for f in fields(DutyCounts)]
