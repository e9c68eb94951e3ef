"""A question card as it reads once answered: what it asked, what was chosen, nothing to click.

When a person answers a card by clicking, the card is rewritten in place (Slack's chat.update,
Teams' card in the invoke response or updateActivity, the web chat's message replaced), so the
conversation keeps a trace of every choice and no old card keeps live buttons. A dialog's card
is answered whole (`answered`); a button outside a dialog (a nudge's *Monitored today*, a
digest's *Answered*) settles only its own row of the card (`settled`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dialogs.messages import Actions, Block, Fields, Message, Paragraph


def answered(message: Message, line: str) -> Message:
    """`message` with its text and facts only (no buttons, menus, pickers, inputs, hints or
    links) and `line` ("✓ You chose: …") at the end."""
    kept = tuple(block for block in message.blocks if isinstance(block, Paragraph | Fields))
    return Message(
        text=f"{message.text} {line}".strip(),
        title=message.title,
        blocks=(*kept, Paragraph(line)),
    )


def settled(message: Message, action: str, value: str, line: Callable[[str], str]) -> Message:
    """`message` with the row of buttons holding the clicked one (`action`, `value`) replaced
    by `line(its label)`; a card of several items (a digest) keeps the others' buttons. When
    the button is no longer on the card (it reads from the current state), the line ends it."""
    blocks: list[Block] = []
    done = False
    for block in message.blocks:
        button = (
            next((b for b in block.buttons if b.action == action and b.value == value), None)
            if isinstance(block, Actions) and not done
            else None
        )
        if button is None:
            blocks.append(block)
            continue
        blocks.append(Paragraph(line(button.label)))
        done = True
    if not done:
        blocks.append(Paragraph(line("")))
    return replace(message, blocks=tuple(blocks))
