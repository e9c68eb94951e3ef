"""The cyclic garbage collector is paused while a sweep runs (scheduler.gc_pause), and back as
it was afterwards, however sweeps overlap or end."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from data.db import Store
from data.policy import NudgeConfig
from scheduler.gc_pause import gc_paused
from scheduler.sweep import sweep
from tests.helpers import Cast
from tests.helpers.accounts import register

MONDAY_1430 = datetime(2027, 3, 1, 13, 30, tzinfo=UTC)


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_back_on_after(collector_on: None) -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_end_with_the_last(collector_on: None) -> None:
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the second sweep still runs"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_back_on_after_a_failure(collector_on: None) -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("the sweep failed")
    assert gc.isenabled()


def test_a_collector_turned_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


async def test_a_sweep_runs_without_collections(
    store: Store, cast: Cast, collector_on: None
) -> None:
    await register(store, requester=cast.requester, team=(cast.colleague,),
                   manager=cast.manager, now=datetime(2027, 2, 1, 9, tzinfo=UTC))
    collections: list[int] = []

    def started(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    config = NudgeConfig()
    thresholds = gc.get_threshold()
    # A collection every few allocations, were the collector on.
    gc.set_threshold(5, 1, 1)
    gc.callbacks.append(started)
    try:
        result = await sweep(store, MONDAY_1430, config)
    finally:
        gc.callbacks.remove(started)
        gc.set_threshold(*thresholds)
    assert result.written
    assert gc.isenabled()
    # A few as the pause begins and as it ends (the sweep itself makes thousands of
    # objects: hundreds of collections at this threshold).
    assert len(collections) <= 5, collections
