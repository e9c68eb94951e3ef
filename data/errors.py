"""Why a domain operation refused. The code names a catalogue message; params fill it."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Invalid(DomainError):
    """The input breaks a rule (empty text, requester as manager, ...)."""


class NotAllowed(DomainError):
    """This person may not do this."""


class MovedOn(DomainError):
    """The thing acted on has already moved past the state the action was meant for."""


class NotFound(DomainError):
    """No such record."""
