"""The Registry Office's notice of content marked for case management, as it reads it, in
English and Swedish, composed from the row the domain operation wrote. On SQLite and
PostgreSQL."""

from __future__ import annotations

from data import casework, questions
from data.db import Store
from data.models import Outbox
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Actions, Context, Message, Paragraph, TextInput
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register
from tests.helpers.chat import buttons, fields


async def composed(store: Store, row: Outbox, locale: str) -> Message:
    async with store.read() as session:
        return await notices.compose(session, Translator(locale), row.kind, row.params, None)


async def test_the_registry_office_is_asked_to_register_a_marked_question(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=T0))
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=cast.requester,
            text="Why did KI publish my name?", now=T0,
        )
        assert question.id is not None
        await casework.mark(session, account_id=account, actor_id=cast.colleague,
                            kind="case_management", question_id=question.id,
                            note="Personal data", now=T0)
    [row] = await load(store, Outbox, Outbox.kind == "case_registration_needed")
    english = await composed(store, row, "en")
    assert english.title == "To register: content of SOME-2027-0001"
    [paragraph] = [b for b in english.blocks if isinstance(b, Paragraph)]
    assert paragraph.text.startswith(
        "The team of Instagram ki_neuroscience (SOME-2027-0001) of Department of Neuroscience "
        "has marked a question from the public as needing case management."
    )
    assert fields(english) == {
        "What": "Why did KI publish my name?",
        "Marked by": "Bo Ek",
        "Marked": "2027-03-01 10:00",
        "Note": "Personal data",
    }
    swedish = await composed(store, row, "sv")
    assert swedish.title == "Att diarieföra: innehåll från SOME-2027-0001"
    assert "Vad" in fields(swedish) and "diarienummer" in swedish.text


async def test_the_teams_reminder_leaves_out_what_was_registered_meanwhile(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=T0))
    async with store.transaction() as session:
        marks = [
            await casework.mark(session, account_id=account, actor_id=cast.requester,
                                kind="case_management", post=post, now=T0)
            for post in ("https://x.example/1", "https://x.example/2")
        ]
    ids = [m.id for m in marks]
    assert ids[0] is not None
    params = {"day": "2027-03-03", "items": [{
        "subject": f"account:{account}", "account_id": account, "why": "unregistered",
        "escalation": False, "period": "2027-03-03", "mark_ids": ids, "oldest": "2027-03-01",
        "count": 2,
    }]}
    row = Outbox(key="k", kind="nudge_case", params=params, status="pending",
                 next_attempt_at=T0, created_at=T0)
    message = await composed(store, row, "en")
    assert message.title == "Case management: registry numbers missing"
    [paragraph] = [b for b in message.blocks if isinstance(b, Paragraph)]
    assert paragraph.text == (
        "Instagram ki_neuroscience (SOME-2027-0001): 2 marked for case management still without "
        "a registry number (diarienummer). Ask the Registry Office, then record the number."
    )
    # Each mark with its post and *Record the number*; one field for the number, above them.
    assert [b.text for b in message.blocks if isinstance(b, Context)][1:] == [
        "https://x.example/1", "https://x.example/2"
    ]
    assert [(b.action, b.value) for b in buttons(message)] == [
        ("case:number", str(ids[0])), ("case:number", str(ids[1]))
    ]
    [field] = [b for b in message.blocks if isinstance(b, TextInput)]
    assert field.action == "case:number_text"
    assert message.blocks.index(field) < min(
        i for i, b in enumerate(message.blocks) if isinstance(b, Actions)
    )
    async with store.transaction() as session:
        for mark_id in ids:
            assert mark_id is not None
            await casework.record_registry_number(session, mark_id=mark_id,
                                                  actor_id=cast.requester,
                                                  registry_number=f"1-{mark_id}/2027", now=T0)
    done = await composed(store, row, "sv")
    assert [b.text for b in done.blocks if isinstance(b, Paragraph)] == [
        "Allt som markerats som ärende har diarieförts."
    ]
