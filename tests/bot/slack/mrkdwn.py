"""What Slack makes of mrkdwn, as far as the tests need it: the characters it shows, and the
markup it would act on.

`markup` is deliberately stricter than Slack: it takes a marker for the start of bold,
italic or strike wherever Slack's rule lets it be one (at a word's edge, with text after it),
counting every character that is not an ASCII letter or digit as an edge, and any two
backticks for code; so text in which it finds nothing, Slack formats in no way either.
"""

from __future__ import annotations

import re

from bot.slack.render import LITERAL_CLOSE, LITERAL_OPEN, SOFT_HYPHEN

# A date Slack cannot show: it shows the fallback, as it is (bot.slack.render._literal).
FALLBACK = re.compile(re.escape(LITERAL_OPEN) + r"([^<>|]*)" + re.escape(LITERAL_CLOSE))
# What a fallback counts as beside other characters: shown, and no letter or digit.
SHOWN_AS = "\x00"
ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def shown(mrkdwn: str) -> str:
    """The characters Slack shows for `mrkdwn` (formatting aside): fallbacks as they are,
    entities decoded, the soft hyphen that keeps a `>` from starting a quote left out."""
    text = FALLBACK.sub(lambda m: m.group(1), mrkdwn).replace(f"{SOFT_HYPHEN}&gt;", "&gt;")
    return re.sub("&(?:amp|lt|gt);", lambda m: ENTITIES[m.group()], text)


def _word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def markup(mrkdwn: str) -> list[tuple[str, str]]:
    """The markup Slack could act on in `mrkdwn`, as (marker, what it would format): a quote
    as (">", its line), an `<` that opens no fallback as ("<", what follows it)."""
    found: list[tuple[str, str]] = []
    text = FALLBACK.sub(SHOWN_AS, mrkdwn)
    found += [("<", text[i : i + 20]) for i, c in enumerate(text) if c == "<"]
    for line in text.split("\n"):
        if line.lstrip(" \t").startswith(("&gt;", ">")):
            found.append((">", line))
        for marker in "*_~":
            for i, c in enumerate(line):
                opens = (
                    c == marker
                    and not (i and _word(line[i - 1]))
                    and i + 1 < len(line)
                    and not line[i + 1].isspace()
                )
                if not opens:
                    continue
                for j in range(i + 2, len(line)):
                    closes = (
                        line[j] == marker
                        and not line[j - 1].isspace()
                        and not (j + 1 < len(line) and _word(line[j + 1]))
                    )
                    if closes:
                        found.append((marker, line[i + 1 : j]))
                        break
    ticks = [i for i, c in enumerate(text) if c == "`"]
    if len(ticks) > 1:
        found.append(("`", text[ticks[0] + 1 : ticks[-1]]))
    return found
