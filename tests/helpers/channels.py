"""A recording chat platform: the test double at the edge where messages leave the bot.

`RecordingChannel` implements `dialogs.channel.Channel`. It keeps every call that went through
and can be told to fail the next few calls with `DeliveryError`, or every call while it is
`down`, as a platform that is down does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from dialogs.channel import Address, DeliveryError
from dialogs.messages import Message

Verb = Literal["send", "update", "post", "reply"]


@dataclass(frozen=True)
class Call:
    """One call that reached the platform.

    `target` is the person's external id for `send`, the place for `post`, and the reference of
    the rewritten message for `update`; `ref` is what `send`/`post` returned (for `update`, the
    same as `target`).
    """

    verb: Verb
    target: str
    message: Message
    ref: str
    address: Address | None = None


class RecordingChannel:
    def __init__(self, platform: str = "web", places: Iterable[str] = ()) -> None:
        self.platform = platform
        self._places = frozenset(places)
        self.calls: list[Call] = []
        # Calls refused because a failure was queued: (verb, target).
        self.refused: list[tuple[Verb, str]] = []
        self._failures: list[DeliveryError] = []
        # While set, every call fails, as on a platform that is down.
        self.down = False
        self._refs = 0

    def fail_next(
        self,
        times: int = 1,
        *,
        reason: str = "platform unavailable",
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        """Make the next `times` calls (of any verb) raise DeliveryError."""
        for _ in range(times):
            self._failures.append(
                DeliveryError(reason, retry_after=retry_after, permanent=permanent)
            )

    def places(self) -> frozenset[str]:
        return self._places

    async def send(self, to: Address, message: Message) -> str:
        self._maybe_fail("send", to.external_id)
        ref = self._new_ref()
        self.calls.append(Call("send", to.external_id, message, ref, to))
        return ref

    async def reply(self, to: Address, message: Message, *, ephemeral: bool) -> str:
        self._maybe_fail("reply", to.external_id)
        ref = self._new_ref()
        self.calls.append(Call("reply", to.external_id, message, ref, to))
        return ref

    async def update(self, ref: str, message: Message) -> None:
        self._maybe_fail("update", ref)
        self.calls.append(Call("update", ref, message, ref))

    async def post(self, place: str, message: Message) -> str:
        self._maybe_fail("post", place)
        ref = self._new_ref()
        self.calls.append(Call("post", place, message, ref))
        return ref

    # What tests ask about.

    def of(self, verb: Verb) -> list[Call]:
        return [call for call in self.calls if call.verb == verb]

    @property
    def sent(self) -> list[Call]:
        return self.of("send")

    @property
    def updated(self) -> list[Call]:
        return self.of("update")

    @property
    def posted(self) -> list[Call]:
        return self.of("post")

    def clear(self) -> None:
        self.calls.clear()
        self.refused.clear()

    def _maybe_fail(self, verb: Verb, target: str) -> None:
        if self.down:
            self.refused.append((verb, target))
            raise DeliveryError("platform unavailable")
        if self._failures:
            self.refused.append((verb, target))
            raise self._failures.pop(0)

    def _new_ref(self) -> str:
        self._refs += 1
        return f"{self.platform}-msg-{self._refs}"
