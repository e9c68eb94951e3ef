"""`/consent` records who consented to a post with identifiable people, how, where it is kept,
and the creator credited and their consent, one question at a time; a creator who has not
consented stops it at that question. Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from data.db import Store
from data.models import AuditEvent, ConsentRecord
from dialogs.i18n import Translator
from tests.helpers import T0, Cast, load
from tests.helpers.chat import CastSenders, cast_senders, fields, only, says, step_of
from tests.helpers.nudging import account_of, chat

SV = Translator("sv")
POST = "https://instagram.com/p/lab-day"


async def test_the_team_records_consent_and_credit(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague)
    prompt = only(await bo.command("consent"))
    # One account: straight to the post.
    assert step_of(prompt) == "post"
    assert says(prompt, "Which post? Paste a link to it, or describe it if it is not published yet.")
    prompt = only(await bo.say(POST))
    assert step_of(prompt) == "people"
    prompt = only(await bo.say("Sara Lind, Omar Said"))
    assert step_of(prompt) == "method"
    prompt = only(await bo.dlg("method", "choose", "form"))
    assert step_of(prompt) == "kept_at"
    prompt = only(await bo.say("W:/Comms/consent/lab-day.pdf"))
    assert step_of(prompt) == "creator"
    prompt = only(await bo.say("Ulf Sirén"))
    assert step_of(prompt) == "credited"
    prompt = only(await bo.dlg("credited", "choose", "agreed"))
    assert step_of(prompt) == "creator_consented"
    # Without the creator's consent there is nothing to record: asked again.
    again = only(await bo.dlg("creator_consented", "choose", "no"))
    assert step_of(again) == "creator_consented"
    assert says(again, "The creator must have consented to the publication on social media")
    summary = only(await bo.dlg("creator_consented", "choose", "yes"))
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience",
        "Post": POST,
        "Who consented": "Sara Lind, Omar Said",
        "How": "KI's consent form",
        "Consent kept at": "W:/Comms/consent/lab-day.pdf",
        "Creator": "Ulf Sirén",
        "Credited": "No, we agreed with the creator not to name them",
        "Creator consented": "Yes, the creator has consented",
    }
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The consent is recorded with Instagram ki_neuroscience.")
    [record] = await load(store, ConsentRecord)
    assert (record.account_id, record.post, record.people, record.method, record.kept_at) == (
        account, POST, "Sara Lind, Omar Said", "form", "W:/Comms/consent/lab-day.pdf"
    )
    assert (record.creator, record.creator_credited, record.creator_consented) == (
        "Ulf Sirén", False, True
    )
    assert (record.recorded_by, record.recorded_at) == (cast.colleague, T0)
    assert await load(store, AuditEvent, AuditEvent.action == "consent.recorded")


async def test_the_manager_may_and_swedish_is_spoken(store: Store, cast: Cast) -> None:
    await account_of(store, cast)
    who = await cast_senders(store, cast, locale="sv")
    assert step_of(only(await chat(store, who.manager).command("consent"))) == "post"
    prompt = only(await chat(store, who.requester).command("consent"))
    assert says(prompt, SV(
        "Which post? Paste a link to it, or describe it if it is not published yet."
    ))
    assert says(prompt, "Vilket inlägg?")


async def test_someone_outside_every_account_is_told(store: Store, cast: Cast,
                                                     who: CastSenders) -> None:
    await account_of(store, cast)
    outsider = chat(store, who.outsider)
    assert says(
        only(await outsider.command("consent")),
        "Consents are recorded by an account's team or manager, and you are neither for any account.",
    )
    assert await load(store, ConsentRecord) == []
