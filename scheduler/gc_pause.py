"""Python's cyclic garbage collector paused while a sweep runs.

A sweep makes hundreds of thousands of small containers (rows, states, nudges, digests) while
the process holds a large heap (the ORM, the policy, the calendar's years); each collection of
the oldest generation walks all of it, and the allocations trigger many. Measured at 10,000
accounts: a fifth to a third of the sweep's CPU (bench/README.md). Reference counting still
frees nearly everything a sweep lets go of; what cycles it leaves are collected after it,
when the collector is back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Sweeps running at once in this process (they interleave on the event loop), and whether
# the collector was on before the first paused it.
_paused = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off inside; back on when the last of overlapping users leaves, if it was
    on when the first came (a process that turned it off keeps it off)."""
    global _paused, _was_enabled
    if _paused == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _was_enabled:
            gc.enable()
