"""Which Microsoft Entra tenant an activity comes from, and whether it is ours.

A bot registered in one tenant can still be reached by Teams users elsewhere (a multi-tenant
registration, a guest, an app shared by mistake). With MICROSOFT_APP_TENANT_ID set, only
activities that name that tenant, in `channelData.tenant.id` and in `conversation.tenantId`
wherever they are given, are taken; one that names none, or another, is refused before
anything runs.
"""

from __future__ import annotations

from typing import Any


def tenants_named(raw: dict[str, Any]) -> set[str]:
    """The tenant ids the activity names (lower case), wherever Teams puts them."""
    found = set()
    channel_data = raw.get("channelData")
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, dict) and tenant.get("id"):
            found.add(str(tenant["id"]).lower())
    conversation = raw.get("conversation")
    if isinstance(conversation, dict) and conversation.get("tenantId"):
        found.add(str(conversation["tenantId"]).lower())
    return found


def from_our_tenant(raw: dict[str, Any], tenant_id: str | None) -> bool:
    """True when no tenant is configured, or the activity names ours and no other."""
    if not tenant_id:
        return True
    return tenants_named(raw) == {tenant_id.lower()}
