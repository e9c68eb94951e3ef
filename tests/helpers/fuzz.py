"""How much the property-based tests generate, and the strategies they share.

The counts are the floor the suite runs with (about a minute in all); a benchmark or CI job
raises them with KONTOBOT_FUZZ_SCALE (e.g. 10 for ten times as many turns and requests).
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

from dialogs.messages import (
    Actions,
    Button,
    Choice,
    Confirm,
    Context,
    Fields,
    Link,
    Message,
    Option,
    Paragraph,
    PersonPicker,
    TextInput,
)

SCALE = float(os.environ.get("KONTOBOT_FUZZ_SCALE", "1"))
# Turns through Brain.handle and every renderer: EXAMPLES lists of TURNS_PER_EXAMPLE turns.
TURNS_PER_EXAMPLE = 20
TURNS = int(10_000 * SCALE)
TURN_EXAMPLES = TURNS // TURNS_PER_EXAMPLE
# Generated messages rendered directly, and requests at the HTTP routes.
MESSAGES = int(1_000 * SCALE)
REQUESTS = int(1_500 * SCALE)

# Every code point: surrogates, noncharacters, controls, combining marks, astral planes.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
# What people type, sometimes long, with a bias to the characters that broke things before.
NASTY = st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\r", "\t", "\n", "\u202e", "\u200b", "\ufeff", "\ufffe",
     "e\u0301", "😀", "<script>", "&amp;", "@channel", "<!here>", "*", "_", "~", "`", "|",
     "=HYPERLINK(", "'", '"', "\\", "%s", "{0}", "${x}", "SOME-2027-0001", "2027-07-01",
     "²", "２"]
)
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.lists(st.one_of(NASTY, st.text(ANY_CHAR, max_size=6)), max_size=8).map("".join),
    # Long text, made cheaply: a piece repeated past every limit (4000, Slack's 3000, ...).
    st.builds(lambda piece, times: piece * times, st.one_of(NASTY, st.text(ANY_CHAR, min_size=1, max_size=4)),
              st.integers(min_value=300, max_value=1500)),
)
SHORT = st.one_of(st.text(ANY_CHAR, max_size=20), NASTY)


def messages() -> st.SearchStrategy[Message]:
    """Neutral messages with odd text everywhere, for the renderers."""
    confirm = st.builds(Confirm, SHORT, TEXT, SHORT, SHORT)
    button = st.builds(
        Button, SHORT, SHORT, SHORT, st.sampled_from([None, "primary", "danger"]),
        st.none() | confirm,
    )
    option = st.builds(Option, SHORT, SHORT)
    block = st.one_of(
        st.builds(Paragraph, TEXT),
        st.builds(Context, TEXT),
        st.builds(Fields, st.lists(st.tuples(SHORT, TEXT), max_size=12).map(tuple)),
        st.builds(Actions, st.lists(button, max_size=8).map(tuple)),
        st.builds(Choice, SHORT,
                  st.builds(lambda some, times: tuple(some) * times,
                            st.lists(option, min_size=1, max_size=6),
                            st.integers(min_value=1, max_value=20)),
                  SHORT, st.booleans(), SHORT, st.lists(SHORT, max_size=3).map(tuple)),
        st.builds(PersonPicker, SHORT, SHORT, st.booleans(), SHORT, SHORT),
        st.builds(TextInput, SHORT, SHORT, TEXT, st.booleans(),
                  st.integers(min_value=-5, max_value=10_000), SHORT),
        st.builds(Link, st.one_of(SHORT, st.just("https://ki.se/"), st.just("/dashboard")),
                  SHORT),
    )
    return st.builds(Message, TEXT, SHORT, st.lists(block, max_size=8).map(tuple))
