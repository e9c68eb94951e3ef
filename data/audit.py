"""Every domain operation leaves an audit event in the same transaction as its change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import AuditEvent


def record(
    session: AsyncSession,
    *,
    now: datetime,
    actor_id: int | None,
    action: str,
    subject: str,
    **details: Any,
) -> None:
    session.add(
        AuditEvent(at=now, actor_id=actor_id, action=action, subject=subject, details=details)
    )
