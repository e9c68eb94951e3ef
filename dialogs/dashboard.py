"""`/dashboard`: a sign-in link to the dashboard in the browser, shown to the person alone.

The link carries a single-use token (data.signin) that expires after ten minutes; redeeming it
opens a session until the end of the person's day. The web chat is served by the same server
as the dashboard, so its link is a path; Slack and Teams open links in a browser elsewhere, so
theirs start with the configured public address, and without one there is no link to give.
"""

from __future__ import annotations

from urllib.parse import urlencode

from data import signin
from dialogs import chat_platforms
from dialogs.common import note
from dialogs.engine import Ctx, Reply
from dialogs.messages import Context, Link

SIGN_IN = "/dashboard/sign-in"
# The query parameter that carries the link's token (signed by hub/sign_in_links.py).
LINK_PARAMETER = "token"


def sign_in_path(token: str) -> str:
    return f"{SIGN_IN}?{urlencode({LINK_PARAMETER: token})}"


async def dashboard(ctx: Ctx, public_url: str | None, key: bytes | None) -> list[Reply]:
    assert ctx.person.id is not None
    if key is None:
        # Only a server (which always has its key) serves the dashboard.
        text = ctx.tr(
            "The dashboard is not set up yet: an administrator must set KONTOBOT_PUBLIC_URL to the address people reach kontobot at."
        )
        return [note(text, ephemeral=True)]
    if chat_platforms.same_origin(ctx.platform):
        # The web chat's page comes from this server: a path leads to the dashboard.
        base = ""
    elif public_url:
        base = public_url.rstrip("/")
    else:
        text = ctx.tr(
            "The dashboard is not set up yet: an administrator must set KONTOBOT_PUBLIC_URL to the address people reach kontobot at."
        )
        return [note(text, ephemeral=True)]
    # Signed as it leaves for the person (hub/sign_in_links.py), not here: the reply waits in
    # the outbox, and nothing in the database may sign anyone in.
    token = await signin.issue_unsigned(ctx.session, person_id=ctx.person.id, now=ctx.now)
    url = base + sign_in_path(token)
    minutes = int(signin.LINK_LIFETIME.total_seconds() // 60)
    text = ctx.tr(
        "Here is your link to the dashboard. It works once and expires in {minutes} minutes; once you have signed in, you stay signed in until the end of the day.",
        minutes=minutes,
    )
    return [
        note(
            text,
            Link(url, ctx.tr("Open the dashboard"), unsigned=True),
            Context(ctx.tr("Don't forward the link: whoever opens it is signed in as you.")),
            ephemeral=True,
            title=ctx.tr("Your dashboard link"),
        )
    ]
