"""A card's answer shown in place: a dialog's card answered whole, a button outside a dialog
settling only its own row (a digest keeps the other rows' buttons)."""

from __future__ import annotations

from dialogs.answered import answered, settled
from dialogs.messages import Actions, Button, Fields, Message, Paragraph


def line(label: str) -> str:
    return f"✓ {label or 'done'}"


DIGEST = Message(
    text="Monitoring today",
    title="Monitoring today",
    blocks=(
        Paragraph("You are on duty for A."),
        Actions((Button("duty:monitored", "Monitored today", "1:2027-03-02"),
                 Button("duty:cannot", "I can't today", "1:2027-03-02"))),
        Paragraph("You are on duty for B."),
        Actions((Button("duty:monitored", "Monitored today", "2:2027-03-02"),
                 Button("duty:cannot", "I can't today", "2:2027-03-02"))),
    ),
)


def test_only_the_clicked_row_is_settled_and_the_rest_is_kept() -> None:
    done = settled(DIGEST, "duty:cannot", "2:2027-03-02", line)
    assert done.blocks == (*DIGEST.blocks[:3], Paragraph("✓ I can't today"))
    assert (done.text, done.title) == (DIGEST.text, DIGEST.title)


def test_the_button_is_matched_by_its_value_too() -> None:
    done = settled(DIGEST, "duty:monitored", "1:2027-03-02", line)
    assert done.blocks[1] == Paragraph("✓ Monitored today")
    assert done.blocks[3] == DIGEST.blocks[3]


def test_a_card_without_the_button_ends_with_the_line() -> None:
    """The card reads from the current state, and the item is no longer on it."""
    done = settled(DIGEST, "duty:monitored", "9:2027-03-02", line)
    assert done.blocks == (*DIGEST.blocks, Paragraph("✓ done"))


def test_a_dialog_card_is_answered_whole() -> None:
    card = Message(text="Which platform?", blocks=(
        Paragraph("Which platform?"), Fields((("Step", "1 of 8"),)),
        Actions((Button("dlg:platform:choose", "Instagram", "instagram"),)),
    ))
    done = answered(card, "✓ You chose: Instagram")
    assert done.blocks == (*card.blocks[:2], Paragraph("✓ You chose: Instagram"))
