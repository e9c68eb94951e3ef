"""How `make test` shares the suite between its two xdist workers (`--dist loadscope`).

loadscope hands out whole modules, the modules with most tests first. A few modules have few
tests but take minutes: the simulated year builds its year once per database in a module
fixture (~1 and ~2 minutes on the 2-core machine), the router's property tests and the
restart tests run for tens of seconds each. Handed out last, one worker ran them alone while
the other sat idle (the last 2 % of the tests took the last 3 minutes of 20). So these go
first, and each of their parameters (the database, above all) is a scope of its own, so that
the two workers build the SQLite year and the PostgreSQL year at the same time.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

# Modules whose tests take longest for their number, longest first.
HEAVY = (
    "tests/scheduler/test_year_2027.py",
    "tests/dialogs/test_router_properties.py",
    "tests/bot/slack/test_restart.py",
)


class HeavyFirst(LoadScopeScheduling):
    """loadscope, with the HEAVY modules split by parameter and handed out first."""

    def _split_scope(self, nodeid: str) -> str:
        scope = super()._split_scope(nodeid)
        if scope in HEAVY and nodeid.endswith("]") and "[" in nodeid:
            # "module.py::test_x[sqlite]" -> "module.py[sqlite]": a module fixture keyed by
            # the parameter is still built once, by the one worker that runs that scope.
            return scope + "[" + nodeid.rsplit("[", 1)[1]
        return scope

    def _assign_work_unit(self, node: WorkerController) -> None:
        for module in HEAVY:
            heavy = next((s for s in self.workqueue if s.split("[", 1)[0] == module), None)
            if heavy is not None:
                self.workqueue.move_to_end(heavy, last=False)
                break
        super()._assign_work_unit(node)
