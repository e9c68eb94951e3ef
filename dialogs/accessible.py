"""`/accessible`: a team member runs the accessibility checklist on a post before publishing
(issue 14; the guidelines: "Communications shall be made accessible in accordance with the Act
(2018:1937)"). Which account, which post, what the post holds, then the whole checklist on one
card: ticked means checked and OK. The summary lists what still needs fixing, with how; fixed
and ticked on a second look, an item counts as fixed. data.accessibility decides who may."""

from __future__ import annotations

from typing import Any

from data import access, accessibility
from data.directory import normalise_text
from data.errors import Invalid, MovedOn
from data.models import CheckStatus
from dialogs.common import Host, note, own_accounts, post_account_step, start_on_account
from dialogs.engine import Answer, ChoiceStep, Ctx, Dialog, Progress, Reply, Step, TextStep
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.messages import Block, Choice, Context, Fields, Message, Option, Paragraph
from dialogs.naming import account_name

NAME = "accessible_post"

# The checklist's items (data.accessibility.ITEMS), as a person reads them.
ITEM_LABELS = {
    "alt_text": N_("Alt text for images"),
    "captions": N_("Captions for video and audio (or a transcript)"),
    "plain_language": N_("Plain language"),
    "link_text": N_("Descriptive link text"),
    "hashtags": N_("CamelCase hashtags"),
    "emoji": N_("Emoji used sparingly"),
}
# What to do about an item that is not right yet.
GUIDANCE = {
    "alt_text": N_(
        "Describe each image in an alt text: what it shows and why it is there, in a sentence or two. Text inside the image must also be in the post or the alt text."
    ),
    "captions": N_(
        "Caption every video with speech, and give audio a transcript. Check automatic captions before you publish: they often get names and terms wrong."
    ),
    "plain_language": N_(
        "Write polished, simple and understandable language (KI's social media guidelines): short sentences, the most important first, no unexplained abbreviations or jargon."
    ),
    "link_text": N_(
        "Say where a link leads, for example \"Read the study on ki.se\", instead of \"click here\" or a long bare address."
    ),
    "hashtags": N_(
        "Start each word of a hashtag with a capital letter, #KarolinskaInstitutet rather than #karolinskainstitutet, so that screen readers read out the words."
    ),
    "emoji": N_(
        "Use few emoji, put them at the end rather than inside sentences, and never instead of words: a screen reader reads out the name of each one."
    ),
}
# Where the checklist comes from, named wherever it is explained.
SOURCE = N_(
    "The checklist follows KI's accessibility guidance for social media and the Act (2018:1937) on Digital Accessibility of Public Services (lagen om tillgänglighet till digital offentlig service)."
)

# What a post can hold, and the item each makes apply (plain language always applies).
CONTENT_LABELS = {
    "images": N_("Images"),
    "video_audio": N_("Video or audio"),
    "links": N_("Links"),
    "hashtags": N_("Hashtags"),
    "emoji": N_("Emoji"),
    "text": N_("Only text"),
}
ITEM_OF_CONTENT = {
    "images": "alt_text", "video_audio": "captions", "links": "link_text",
    "hashtags": "hashtags", "emoji": "emoji",
}
# Typed for "none of them is OK yet".
NONE_WORDS = frozenset({"none", "nothing", "0", "-", "inga", "ingen", "inget"})
# Items left unticked at some answer of the checklist: ticked later, they were fixed.
UNTICKED = "_unticked"


def applicable(progress: Progress) -> list[str]:
    """The checklist items the post's content makes apply, in checklist order."""
    content = progress.data.get("content") or []
    wanted = {"plain_language", *(ITEM_OF_CONTENT[c] for c in content if c in ITEM_OF_CONTENT)}
    return [item for item in accessibility.ITEMS if item in wanted]


def statuses(progress: Progress) -> dict[str, str]:
    """Every item's status from the answers: not applicable, or as the checklist found it."""
    found = progress.data.get("checklist") or {}
    wanted = applicable(progress)
    return {
        item: str(found.get(item, CheckStatus.TO_FIX.value)) if item in wanted
        else CheckStatus.NOT_APPLICABLE.value
        for item in accessibility.ITEMS
    }


class ChecklistStep(Step):
    """The whole checklist on one card: a box per item that applies, ticked when it is
    checked and OK. The answer is each applicable item's status."""

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        current = progress.data.get(self.name) or {}
        return [
            Choice(
                action=f"dlg:{self.name}:choose",
                options=tuple(
                    Option(item, ctx.tr(ITEM_LABELS[item])) for item in applicable(progress)
                ),
                multi=True,
                submit_label=ctx.tr("Confirm"),
                selected=tuple(i for i, s in current.items() if s != CheckStatus.TO_FIX.value),
            )
        ]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr(
            "Tick the boxes and confirm, or type the numbers separated by commas (none if nothing is OK yet)."
        )

    def _lookup(self, ctx: Ctx, items: list[str], token: str) -> str | None:
        token = token.strip().lower()
        for index, item in enumerate(items, start=1):
            label = ITEM_LABELS[item]
            if token in (str(index), item, ctx.tr(label).lower(), label.lower()):
                return item
        return None

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        items = applicable(progress)
        typed = [t for t in answer.text.split(",") if t.strip()]
        if answer.selected:
            tokens = list(answer.selected)
        elif typed and not (len(typed) == 1 and typed[0].strip().lower() in NONE_WORDS):
            tokens = typed
        elif typed or answer.verb == "choose":
            tokens = []  # "none" typed, or Confirm clicked with no box ticked
        else:
            raise Invalid("unknown_choice")
        ticked = [self._lookup(ctx, items, token) for token in tokens]
        if any(item is None for item in ticked):
            raise Invalid("unknown_choice")
        unticked_before = set(progress.data.get(UNTICKED) or [])
        progress.data[UNTICKED] = sorted(
            unticked_before | {item for item in items if item not in ticked}
        )
        return {
            item: (
                CheckStatus.TO_FIX.value if item not in ticked
                else CheckStatus.FIXED.value if item in unticked_before
                else CheckStatus.OK.value
            )
            for item in items
        }

    async def show(self, ctx: Ctx, value: Any) -> str:
        found = dict(value or {})
        to_fix = [i for i in accessibility.ITEMS if found.get(i) == CheckStatus.TO_FIX.value]
        done = [i for i in accessibility.ITEMS if i in found and i not in to_fix]
        parts = []
        if done:
            parts.append(ctx.tr("OK: {items}.", items=", ".join(
                ctx.tr(ITEM_LABELS[i]) for i in done
            )))
        if to_fix:
            parts.append(ctx.tr("Still to fix: {items}.", items=", ".join(
                ctx.tr(ITEM_LABELS[i]) for i in to_fix
            )))
        return " ".join(parts)


def _post(ctx: Ctx, progress: Progress, text: str) -> str:
    # Normalised where it enters, as data.accessibility stores it.
    return access.check_text(normalise_text(text), field="post", maximum=accessibility.POST_TEXT)


class AccessiblePost(Dialog):
    name = NAME
    title = N_("Check a post for accessibility")
    summary_text = N_(
        "Here is the check. Fix what is still listed and tick it under Edit a field, or record the check as it is."
    )
    summary_help = N_(
        "Record the check saves it with the account, where the dashboard and the monthly summary count it; Edit a field changes one answer (tick an item you have fixed); Cancel throws it away."
    )
    submit_label = N_("Record the check")
    use_buttons = N_("Please use the buttons: Record the check, Edit a field or Cancel.")
    cancel_title = N_("Cancel the check?")
    cancel_text = N_("Nothing will be saved.")

    def __init__(self) -> None:
        self.steps = [
            post_account_step(),
            TextStep(
                "post",
                N_("Post"),
                N_("Which post? Paste a link to it, or describe it in a few words if it is not published yet."),
                N_("Enough that the team can tell later which post was checked."),
                maximum=accessibility.POST_TEXT,
                check=_post,
            ),
            ChoiceStep(
                "content",
                N_("The post has"),
                N_("What does the post have? Tick everything it has."),
                N_("Only what the post has is on the checklist: alt text is only asked for when there are images, and so on."),
                options=list(CONTENT_LABELS.items()),
                multi=True,
            ),
            ChecklistStep(
                "checklist",
                N_("Checklist"),
                N_("Go through the post and tick each item that is checked and OK. What you leave unticked I'll list with how to fix it."),
                SOURCE,
            ),
        ]

    def after(self, progress: Progress, step: Step) -> str:
        # Other content means other items: the checklist is asked again, even from an edit.
        if step.name == "content":
            return "checklist"
        return super().after(progress, step)

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account_id = int(progress.data["account"])
        found = statuses(progress)
        try:
            async with ctx.session.begin_nested():
                await accessibility.record_check(
                    ctx.session, account_id=account_id, actor_id=ctx.person.id,
                    post=str(progress.data["post"]), items=found, now=ctx.now,
                )
        except MovedOn as error:
            return [note(explain(ctx.tr, error))]
        account = await access.account(ctx.session, account_id)
        recorded = ctx.tr(
            "The check is recorded with {account}.",
            account=account_name(account.platform, account.handle),
        )
        to_fix = [i for i in accessibility.ITEMS if found[i] == CheckStatus.TO_FIX.value]
        if not to_fix:
            ready = ctx.tr("Everything on the checklist is done: the post is ready to publish.")
            return [note(f"{recorded} {ready}")]
        still = ctx.tr("Still to fix before you publish:")
        return [Reply(Message(
            text=f"{recorded} {still}",
            blocks=(
                Paragraph(f"{recorded} {still}"),
                Fields(tuple((ctx.tr(ITEM_LABELS[i]), ctx.tr(GUIDANCE[i])) for i in to_fix)),
                Context(ctx.tr(SOURCE)),
            ),
        ))]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. Nothing was recorded."))]


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/accessible [SOME-2027-0001]`: which account (when the person has several), then the
    post and the checklist. The account's team and manager run it."""
    assert ctx.person.id is not None
    return await start_on_account(
        ctx, host, args, name=NAME, accounts=await own_accounts(ctx.session, ctx.person.id),
        first="post",
        refusal=ctx.tr(
            "The accessibility checklist is run by an account's team or manager, and you are neither for any account."
        ),
        intro=ctx.tr("Let's check a post for accessibility before it is published."),
    )
