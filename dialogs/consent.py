"""`/consent`: for a post with identifiable people, the team records who consented, how, where
the consent is kept, and the creator credited and their consent (issue 14, the guidelines'
"Consent and GDPR"), one question at a time. data.consent decides who may, and refuses a
creator who has not consented; the dialog says so at that question, before anything else."""

from __future__ import annotations

from typing import Any

from data import access, consent
from data.errors import Invalid, MovedOn
from data.models import ConsentMethod
from dialogs.common import Host, note, own_accounts, post_account_step, start_on_account
from dialogs.engine import Answer, ChoiceStep, Ctx, Dialog, Progress, Reply, TextStep
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.naming import account_name

NAME = "record_consent"

METHOD_LABELS = {
    ConsentMethod.WRITTEN.value: N_("Signed in writing"),
    ConsentMethod.EMAIL.value: N_("By email"),
    ConsentMethod.FORM.value: N_("KI's consent form"),
    ConsentMethod.RECORDED.value: N_("Recorded on audio or video"),
}
CREDIT_LABELS = {
    "yes": N_("Yes, the creator is named with the image or video"),
    "agreed": N_("No, we agreed with the creator not to name them"),
}
CREATOR_CONSENT_LABELS = {
    "yes": N_("Yes, the creator has consented"),
    "no": N_("No, not yet"),
}


class CreatorConsentStep(ChoiceStep):
    """Yes or no: no is refused here, since the post may not be published without it."""

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        chosen = await super().accept(ctx, progress, answer)
        if chosen != "yes":
            raise Invalid("creator_not_consented", field="creator_consented")
        return chosen


class RecordConsent(Dialog):
    name = NAME
    title = N_("Record consent and credit for a post")
    summary_text = N_("Here is the consent to record. Record it, edit a field, or cancel.")
    summary_help = N_(
        "Check the record. Record the consent saves it with the account, where the dashboard and the exports show it; Edit a field changes one answer; Cancel throws it away."
    )
    submit_label = N_("Record the consent")
    use_buttons = N_("Please use the buttons: Record the consent, Edit a field or Cancel.")
    cancel_title = N_("Cancel the record?")
    cancel_text = N_("Nothing will be saved.")

    def __init__(self) -> None:
        self.steps = [
            post_account_step(),
            TextStep(
                "post",
                N_("Post"),
                N_("Which post? Paste a link to it, or describe it if it is not published yet."),
                N_("Enough that someone can tell later which post the consent is for."),
                maximum=consent.POST_TEXT,
            ),
            TextStep(
                "people",
                N_("Who consented"),
                N_("Who is identifiable in it and has consented? Give their names."),
                N_(
                    "Everyone who can be identified by photo, video, audio or name must consent before the post is published (KI's social media guidelines, Consent and GDPR)."
                ),
                maximum=consent.PEOPLE_TEXT,
            ),
            ChoiceStep(
                "method",
                N_("How"),
                N_("How did they consent?"),
                N_("A signed form or an email can be shown later; a spoken yes cannot."),
                options=list(METHOD_LABELS.items()),
            ),
            TextStep(
                "kept_at",
                N_("Consent kept at"),
                N_("Where is the consent saved?"),
                N_(
                    "A folder, a case number or a link: somewhere the team can find it if someone asks. Don't paste personal data here."
                ),
                maximum=consent.KEPT_TEXT,
            ),
            TextStep(
                "creator",
                N_("Creator"),
                N_("Who took the photo or made the video or recording?"),
                N_("The creator must always be mentioned with images or videos, unless otherwise agreed."),
                maximum=consent.CREATOR_TEXT,
            ),
            ChoiceStep(
                "credited",
                N_("Credited"),
                N_("Is the creator named with the post?"),
                N_("The creator must always be mentioned with images or videos, unless otherwise agreed."),
                options=list(CREDIT_LABELS.items()),
            ),
            CreatorConsentStep(
                "creator_consented",
                N_("Creator consented"),
                N_("Has the creator consented to the publication on social media?"),
                N_("The creator must have consented to the publication of images on social media."),
                options=list(CREATOR_CONSENT_LABELS.items()),
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account_id = int(progress.data["account"])
        try:
            async with ctx.session.begin_nested():
                await consent.record_consent(
                    ctx.session, account_id=account_id, actor_id=ctx.person.id,
                    post=str(progress.data["post"]),
                    people_named=str(progress.data["people"]),
                    method=str(progress.data["method"]),
                    kept_at=str(progress.data["kept_at"]),
                    creator=str(progress.data["creator"]),
                    creator_credited=progress.data["credited"] == "yes",
                    creator_consented=progress.data["creator_consented"] == "yes",
                    now=ctx.now,
                )
        except MovedOn as error:
            return [note(explain(ctx.tr, error))]
        account = await access.account(ctx.session, account_id)
        return [note(ctx.tr(
            "The consent is recorded with {account}. The dashboard lists it on the account's page.",
            account=account_name(account.platform, account.handle),
        ))]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. Nothing was recorded."))]


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/consent [SOME-2027-0001]`: which account (when the person has several), then the rest.
    The account's team and manager record consents in the chat."""
    assert ctx.person.id is not None
    return await start_on_account(
        ctx, host, args, name=NAME, accounts=await own_accounts(ctx.session, ctx.person.id),
        first="post",
        refusal=ctx.tr(
            "Consents are recorded by an account's team or manager, and you are neither for any account."
        ),
        intro=ctx.tr(
            "Let's record who consented to a post with identifiable people, and its creator."
        ),
    )
