"""A sweep's digests gathered piece by piece (data.nudge_digests.DigestBook): the rows are
those `digests` makes of all the nudges at once, encoded as the params column encodes them,
and digests already owed are skipped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.nudge_digests import DigestBook, Nudge, digests

DAY = date(2027, 3, 1)
NOT_AFTER = datetime(2027, 3, 1, 17, tzinfo=UTC)


def nudge(kind: str, account: int, person: int | None, why: str = "on_duty",
          **details: object) -> Nudge:
    place = None if person is not None else "comms"
    return Nudge(kind, f"account:{account}", account, person, place, DAY.isoformat(), why,
                 person is None, dict(details))


NUDGES = [
    nudge("nudge_rota", 1, 7, open_questions=2, archive_due=None),
    nudge("nudge_rota", 1, 7, open_questions=2, archive_due=None),  # repeated: kept once
    nudge("nudge_question", 1, 8, "open", question_ids=[3, 4], oldest="2027-02-26T10:00:00"),
    nudge("nudge_rota", 2, 7, open_questions=0, archive_due="2027-03-10"),
    nudge("nudge_inactivity", 2, None, "inactive_long", reasons=["no_content"], since="ä"),
    nudge("nudge_rota", 3, 9, open_questions=1, archive_due=None),
    nudge("nudge_rota", 4, 7, open_questions=5, archive_due=None),
]


def test_pieces_make_the_rows_of_one_pass_encoded_as_json_dumps_would() -> None:
    book = DigestBook(DAY)
    # Each account's nudges in one piece, the pieces in account order.
    for piece in (NUDGES[:3], NUDGES[3:5], NUDGES[5:]):
        book.add(piece)
    rows = list(book.rows(NOT_AFTER))
    whole = digests(NUDGES, DAY)
    assert [r.key for r in rows] == sorted(whole)
    for row in rows:
        first, items = whole[row.key]
        assert row.params == json.dumps({"day": DAY.isoformat(), "items": items})
        assert (row.kind, row.recipient_id, row.place, row.not_after) == (
            first.kind, first.recipient_id, first.place, NOT_AFTER
        )
    assert len(json.loads(rows[[r.key for r in rows].index("nudge_rota:7:2027-03-01")].params)[
        "items"]) == 3


def test_digests_already_owed_are_skipped() -> None:
    book = DigestBook(DAY, owed={"nudge_rota:7:2027-03-01", "nudge_rota:9:2027-02-28"})
    book.add(NUDGES)
    assert len(book) == 3
    assert [r.key for r in book.rows(NOT_AFTER)] == [
        "nudge_inactivity:@comms:2027-03-01", "nudge_question:8:2027-03-01",
        "nudge_rota:9:2027-03-01",
    ]
    assert len(book) == 0, "handed out once"


# Whatever the rules put in an item's details: JSON's values, nested (floats with their
# infinities and NaN, which json.dumps writes as Infinity and NaN).
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(details=st.lists(st.dictionaries(st.text(), JSON_VALUES, max_size=4), max_size=4))
def test_items_are_encoded_byte_for_byte_as_json_dumps(details: list[dict[str, Any]]) -> None:
    # The book encodes with one C encoder made once (no per-call set-up): the text must be
    # what the params column's own json.dumps makes of the same digest.
    nudges = [Nudge("nudge_rota", "account:1", 1, 7, None, DAY.isoformat(), f"why{i}", False, d)
              for i, d in enumerate(details)]
    book = DigestBook(DAY)
    book.add(nudges)
    for row in book.rows(NOT_AFTER):
        assert row.params == json.dumps(
            {"day": DAY.isoformat(), "items": [n.item() for n in nudges]}
        )


# An item's own fields as the rules could ever make them, and details whose keys may name
# one of those fields (the details then replace it, in its place, as dict unpacking does).
OWN_KEYS = st.sampled_from(["subject", "account_id", "why", "escalation", "period"])


@given(
    subject=st.text(), account_id=st.none() | st.integers(), why=st.text(),
    escalation=st.booleans(), period=st.text(),
    details=st.dictionaries(st.text() | OWN_KEYS, JSON_VALUES, max_size=4),
)
def test_an_items_own_fields_are_encoded_byte_for_byte_as_json_dumps(
    subject: str, account_id: int | None, why: str, escalation: bool, period: str,
    details: dict[str, Any],
) -> None:
    """Whatever text an item's own fields hold, and whatever its details name, the book's text
    is json.dumps' (a guard for whoever encodes items faster: bench/README.md)."""
    made = Nudge("nudge_rota", subject, account_id, 7, None, period, why, escalation, details)
    book = DigestBook(DAY)
    book.add([made])
    [row] = book.rows(NOT_AFTER)
    assert row.params == json.dumps({"day": DAY.isoformat(), "items": [made.item()]})


def test_an_item_that_cannot_be_encoded_fails_as_json_dumps_does() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        DigestBook(DAY).add([nudge("nudge_rota", 1, 7, when=DAY)])


def test_items_sharing_details_are_encoded_as_each_alone() -> None:
    """A team's items share one details dict (scheduler.nudge_rules._to_team), and the book
    encodes it once for them: the rows are those of items each with its own copy, and items
    sharing the dict but differing in anything else (subject, why, escalation, period) keep
    their own text."""
    shared: dict[str, Any] = {"month": "2027-02", "posts_checked": 3, "items_to_fix": 1}
    variants = [
        Nudge("nudge_monthly", "account:1", 1, person, None, "2027-02", "summary", False, shared)
        for person in (7, 8, 9)
    ] + [
        Nudge("nudge_monthly", "account:2", 2, 7, None, "2027-02", "summary", False, shared),
        Nudge("nudge_monthly", "account:1", 1, 7, None, "2027-02", "other", False, shared),
        Nudge("nudge_monthly", "account:1", 1, 10, None, "2027-02", "summary", True, shared),
        Nudge("nudge_monthly", "account:1", 1, 11, None, "2027-01", "summary", False, shared),
    ]
    copied = [Nudge(n.kind, n.subject, n.account_id, n.recipient_id, n.place, n.period, n.why,
                    n.escalation, dict(n.details)) for n in variants]
    rows = []
    for nudges in (variants, copied):
        book = DigestBook(DAY)
        book.add(nudges)
        rows.append(list(book.rows(NOT_AFTER)))
    assert rows[0] == rows[1]
    whole = digests(copied, DAY)
    assert {r.key: r.params for r in rows[0]} == {
        key: json.dumps({"day": DAY.isoformat(), "items": items})
        for key, (_, items) in whole.items()
    }


def test_a_nudge_cannot_be_changed() -> None:
    """A nudge is a named tuple (made cheaply, a sweep makes tens of thousands): as immutable
    as the frozen dataclass it was, and one without details shares a read-only empty one."""
    plain = Nudge("nudge_inactivity", "account:8", 8, None, "comms", "p", "x", True)
    with pytest.raises(AttributeError):
        plain.why = "other"  # type: ignore[misc]
    assert plain.details == {} and plain.item()["why"] == "x"
    with pytest.raises(TypeError):
        plain.details["added"] = 1  # type: ignore[index]
