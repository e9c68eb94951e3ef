"""Where a person is in a conversation survives between turns."""

from __future__ import annotations

from datetime import timedelta

from data import dialog_state
from data.db import Store
from tests.helpers import T0, Cast


async def test_save_load_and_clear(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        assert await dialog_state.load(session, cast.requester) is None
        await dialog_state.save(
            session,
            person_id=cast.requester,
            dialog="open_account",
            step="platform",
            data={"unit": "Neuro", "team": [7]},
            history=["unit"],
            turn=1,
            now=T0,
        )
    later = T0 + timedelta(minutes=5)
    async with store.transaction() as session:
        state = await dialog_state.load(session, cast.requester)
        assert state is not None
        # Changes made in place, to the loaded values or through a shallow copy, are saved too.
        data = state.data
        data["platform"] = "x"
        dict(data)["team"].append(8)
        history = state.history
        history.append("platform")
        await dialog_state.save(
            session,
            person_id=cast.requester,
            dialog="open_account",
            step="handle",
            data=data,
            history=history,
            turn=state.turn + 1,
            now=later,
        )
    async with store.transaction() as session:
        state = await dialog_state.load(session, cast.requester)
        assert state is not None
        assert (state.step, state.turn, state.updated_at) == ("handle", 2, later)
        assert state.data == {"unit": "Neuro", "team": [7, 8], "platform": "x"}
        assert state.history == ["unit", "platform"]
        await dialog_state.clear(session, cast.requester)
    async with store.transaction() as session:
        assert await dialog_state.load(session, cast.requester) is None
        assert await dialog_state.load(session, cast.colleague) is None
