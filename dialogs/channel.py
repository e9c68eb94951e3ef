"""What a platform must offer so that notices can reach people and places.

Slack, Teams and the web chat each implement `Channel`; nothing above them knows which one is
in use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from dialogs.messages import Message

# Places the organisation has on every platform: configured channels or conversations.
PLACES = ("comms", "registry")


@dataclass(frozen=True)
class Address:
    platform: str
    external_id: str
    details: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """Sending failed. `retry_after` (seconds) when the platform said when to retry;
    `permanent` when retrying cannot help (the person blocked the bot, no such channel)."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    platform: str

    def places(self) -> frozenset[str]:
        """The places configured on this platform."""
        ...

    async def send(self, to: Address, message: Message) -> str:
        """Send to a person directly; returns a reference for `update`."""
        ...

    async def reply(self, to: Address, message: Message, *, ephemeral: bool) -> str:
        """Answer a person's turn where they acted (`to.details` holds where, as the adapter
        put it in the event's context); `ephemeral`: for them alone where the platform can.
        Returns a reference for `update` ("" when the platform gives none)."""
        ...

    async def update(self, ref: str, message: Message) -> None:
        """Rewrite a message sent earlier."""
        ...

    async def post(self, place: str, message: Message) -> str:
        """Post in one of `places()`; returns a reference for `update`."""
        ...
