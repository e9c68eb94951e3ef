"""People, their chat identities and roles."""

from __future__ import annotations

from datetime import timedelta

from data import people
from data.db import Store
from data.models import AuditEvent, ChatIdentity, Person, RoleAssignment
from tests.helpers import T0, count, id_of, load, make_person, make_roles

LATER = T0 + timedelta(days=1)


async def test_ensure_person_creates_once(store: Store) -> None:
    async with store.transaction() as session:
        first = await make_person(session, T0, "Anna Berg", platform="slack", ext="U1")
    async with store.transaction() as session:
        again = await people.ensure_person(session, now=LATER, platform="slack", external_id="U1")
    assert again.id == first.id
    assert await count(store, Person) == 1
    assert await count(store, ChatIdentity) == 1
    [event] = await load(store, AuditEvent)
    assert (event.action, event.subject, event.at) == ("person.created", f"person:{first.id}", T0)
    [person] = await load(store, Person)
    # Nothing new was said about her, so nothing changed.
    assert (person.display_name, person.locale, person.updated_at) == ("Anna Berg", "en", T0)
    assert person.created_at == T0

    # The same external id on another platform is someone else.
    async with store.transaction() as session:
        other = await make_person(session, T0, "Anna Berg", platform="teams", ext="U1")
    assert other.id != first.id


async def test_ensure_person_refreshes_what_the_platform_says(store: Store) -> None:
    async with store.transaction() as session:
        created = await people.ensure_person(
            session, now=T0, platform="slack", external_id="U1", address={"team": "T1"}
        )
    assert created.display_name == "U1"  # no name given: the id stands in
    async with store.transaction() as session:
        await people.ensure_person(
            session,
            now=LATER,
            platform="slack",
            external_id="U1",
            display_name="Anna Berg",
            email="anna.berg@ki.se",
            locale="sv",
            address={"channel": "D1"},
        )
    async with store.transaction() as session:
        await make_person(session, LATER, "Web Anna", platform="web", ext="anna")
        person = await people.find_by_identity(session, "slack", "U1")
        assert person is not None
        assert (person.display_name, person.email, person.locale) == (
            "Anna Berg",
            "anna.berg@ki.se",
            "sv",
        )
        assert (person.last_platform, person.updated_at, person.created_at) == ("slack", LATER, T0)
        [identity] = await people.identities(session, id_of(person))
        assert identity.address == {"team": "T1", "channel": "D1"}
        assert await people.find_by_identity(session, "slack", "U2") is None


async def test_last_platform_follows_the_person(store: Store) -> None:
    async with store.transaction() as session:
        person = await make_person(session, T0, "Anna Berg", platform="slack", ext="U1")
        session.add(ChatIdentity(person_id=id_of(person), platform="teams", external_id="aad-1"))
    async with store.transaction() as session:
        seen = await people.ensure_person(session, now=LATER, platform="teams", external_id="aad-1")
    assert seen.id == person.id
    assert seen.last_platform == "teams"
    [stored] = await load(store, Person)
    assert (stored.last_platform, stored.updated_at) == ("teams", LATER)


async def test_only_their_own_turn_changes_their_language_and_last_platform(
    store: Store,
) -> None:
    """Cecilia writes to the bot from Teams in Swedish; her Slack is in English. A colleague
    who picks or names her brings her Slack profile (spoke=False): neither it, nor her own
    Teams identity seen again through someone else, changes what she reads us in or where
    she is told things."""
    email = "cecilia.carlsson@ki.se"
    async with store.transaction() as session:
        cecilia = await people.ensure_person(
            session, now=T0, platform="teams", external_id="aad-cec", email=email, locale="sv-SE"
        )
    for platform, external_id in (("slack", "UCEC"), ("teams", "aad-cec")):
        async with store.transaction() as session:
            picked = await people.ensure_person(
                session,
                now=LATER,
                platform=platform,
                external_id=external_id,
                email=email,
                locale="en-US",
                spoke=False,
            )
        assert picked.id == cecilia.id
        [stored] = await load(store, Person)
        assert (stored.locale, stored.last_platform) == ("sv", "teams"), platform
    # Her own turn on Slack makes its language and Slack hers.
    async with store.transaction() as session:
        await people.ensure_person(
            session, now=LATER, platform="slack", external_id="UCEC", email=email, locale="en-US"
        )
    [stored] = await load(store, Person)
    assert (stored.locale, stored.last_platform) == ("en", "slack")


async def test_a_language_we_do_not_speak_keeps_the_one_known(store: Store) -> None:
    """The locale is stored as one of our languages; one we have no catalogue for (a client
    in German, junk) is not a language of hers, so the one known stays."""
    async with store.transaction() as session:
        anna = id_of(await make_person(session, T0, "Anna Berg", platform="teams", locale="sv_FI"))
    for locale in ("de-DE", "xx-INVALID-LOCALE-VALUE-LONG", "", None):
        async with store.transaction() as session:
            await people.ensure_person(
                session, now=LATER, platform="teams", external_id="anna.berg", locale=locale
            )
        [stored] = await load(store, Person)
        assert (stored.id, stored.locale, stored.updated_at) == (anna, "sv", T0), locale
    async with store.transaction() as session:
        await people.ensure_person(
            session, now=LATER, platform="teams", external_id="anna.berg", locale="EN-gb"
        )
    [stored] = await load(store, Person)
    assert stored.locale == "en"
    # Someone new with one we do not speak has none: they read the default.
    async with store.transaction() as session:
        bo = await people.ensure_person(
            session, now=T0, platform="teams", external_id="aad-bo", locale="de-DE"
        )
    assert bo.locale is None


async def test_a_profile_language_fills_in_where_none_of_ours_is_known(store: Store) -> None:
    """Where nothing the person said told us their language (only ever picked, or a value
    from before locales were read as languages), their profile beats the default, even when
    a colleague brought it."""
    async with store.transaction() as session:
        never_said = id_of(
            await people.ensure_person(session, now=T0, platform="teams", external_id="aad-1")
        )
        bo = await make_person(session, T0, "Bo Ek", platform="teams", ext="aad-2")
        bo.locale = "de-DE"
        session.add(bo)
        stale = id_of(bo)
    for external_id in ("aad-1", "aad-2"):
        async with store.transaction() as session:
            await people.ensure_person(
                session,
                now=LATER,
                platform="teams",
                external_id=external_id,
                locale="sv-SE",
                spoke=False,
            )
    async with store.read() as session:
        found = await people.people_by_id(session, [never_said, stale])
    assert {found[never_said].locale, found[stale].locale} == {"sv"}


async def test_set_role_holders_touches_only_that_platform(store: Store) -> None:
    async with store.transaction() as session:
        on_slack = id_of(await make_person(session, T0, "Slack Director", platform="slack"))
        new_on_slack = id_of(await make_person(session, T0, "New Director", platform="slack"))
        on_teams = id_of(await make_person(session, T0, "Teams Director", platform="teams"))
        await make_roles(session, T0, platform="slack", director={on_slack})
        await make_roles(session, T0, platform="teams", director={on_teams}, comms={on_teams})
    async with store.transaction() as session:
        await make_roles(session, LATER, platform="slack", director={new_on_slack})
    async with store.transaction() as session:
        directors = await people.people_with_role(session, "director")
        assert [p.id for p in directors] == sorted([new_on_slack, on_teams])
        assert await people.has_role(session, on_teams, "comms")
        assert not await people.has_role(session, on_slack, "director")
    events = await load(store, AuditEvent, AuditEvent.at == LATER)
    assert sorted((e.action, e.subject) for e in events) == [
        ("role.assigned", f"person:{new_on_slack}"),
        ("role.removed", f"person:{on_slack}"),
    ]
    # Saying the same again changes nothing.
    async with store.transaction() as session:
        await make_roles(session, LATER, platform="slack", director={new_on_slack})
    assert await count(store, RoleAssignment) == 3
    assert await count(store, AuditEvent, AuditEvent.at == LATER) == 2


async def test_find_by_text_matches_whole_email_or_name(store: Store) -> None:
    async with store.transaction() as session:
        anna = id_of(await make_person(session, T0, "Anna Berg", email="Anna.Berg@KI.se"))
        await make_person(session, T0, "Anna Bergström", email="anna.bergstrom@ki.se")
    async with store.transaction() as session:
        for text in ("anna.berg@ki.se", "ANNA.BERG@ki.SE", "anna berg", " @Anna Berg "):
            assert [p.id for p in await people.find_by_text(session, text)] == [anna], text
        assert await people.find_by_text(session, "Anna") == []
        assert await people.find_by_text(session, "  ") == []
        assert await people.find_by_text(session, "@") == []


async def test_directory_lists_a_platform_by_name(store: Store) -> None:
    async with store.transaction() as session:
        await make_person(session, T0, "Cia Lund", platform="slack", ext="U3")
        await make_person(session, T0, "Anna Berg", platform="slack", ext="U1")
        await make_person(session, T0, "Bo Ek", platform="teams", ext="aad-2")
        listed = await people.directory(session, "slack")
    assert [(ext, p.display_name) for ext, p in listed] == [("U1", "Anna Berg"), ("U3", "Cia Lund")]


async def test_people_by_id_and_locale(store: Store) -> None:
    async with store.transaction() as session:
        anna = id_of(await make_person(session, T0, "Anna Berg"))
        assert await people.people_by_id(session, []) == {}
        found = await people.people_by_id(session, [anna, 999_999])
        assert list(found) == [anna]
        await people.set_locale(session, now=LATER, person_id=anna, locale="sv")
    [person] = await load(store, Person)
    assert (person.locale, person.updated_at) == ("sv", LATER)
    [event] = await load(store, AuditEvent, AuditEvent.action == "person.locale")
    assert event.details == {"locale": "sv"}


async def test_long_emails_and_locales_fit_their_columns(store: Store) -> None:
    email = "x" * 250 + "@ki.se"
    for when in (T0, LATER):  # on creation and on refresh alike
        async with store.transaction() as session:
            person = await people.ensure_person(
                session,
                now=when,
                platform="slack",
                external_id=f"U{when.day}",
                email=email,
                locale="sv-SE-x-" + "y" * 40,
            )
            assert person.email == email
            # A locale is kept as the language it names, whatever its length.
            assert person.locale == "sv"
    async with store.transaction() as session:
        refreshed = await people.ensure_person(
            session,
            now=LATER,
            platform="slack",
            external_id=f"U{T0.day}",
            email=email,
            locale="sv-SE-x-" + "y" * 40,
        )
        assert refreshed.email == email


async def test_a_chosen_language_outlives_a_merge(store: Store) -> None:
    """Anna chose Swedish on Teams, known there before Teams said her address; Teams then
    says it, and her Teams person is merged into her Slack one: Swedish, chosen, stays hers,
    whatever language her Teams is in."""
    async with store.transaction() as session:
        await people.ensure_person(session, now=T0, platform="slack", external_id="U1",
                                   email="anna@ki.se", locale="en-GB")
        teams = await people.ensure_person(session, now=T0, platform="teams",
                                           external_id="aad-1", locale="en-US")
        assert teams.id is not None
        await people.set_locale(session, now=LATER, person_id=teams.id, locale="sv")
        anna = await people.ensure_person(session, now=LATER, platform="teams",
                                          external_id="aad-1", email="anna@ki.se",
                                          locale="en-US")
    assert anna.id != teams.id
    assert (anna.locale, anna.locale_chosen) == ("sv", True)
