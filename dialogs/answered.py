"""A question card as it reads once answered: what it asked, what was chosen, nothing to click.

When a person answers a card by clicking, the card is rewritten in place (Slack's chat.update,
Teams' card in the invoke response or updateActivity, the web chat's message replaced), so the
conversation keeps a trace of every choice and no old card keeps live buttons.
"""

from __future__ import annotations

from dialogs.messages import Fields, Message, Paragraph


def answered(message: Message, line: str) -> Message:
    """`message` with its text and facts only (no buttons, menus, pickers, inputs, hints or
    links) and `line` ("✓ You chose: …") at the end."""
    kept = tuple(block for block in message.blocks if isinstance(block, Paragraph | Fields))
    return Message(
        text=f"{message.text} {line}".strip(),
        title=message.title,
        blocks=(*kept, Paragraph(line)),
    )
