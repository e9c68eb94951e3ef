"""What a valid request looks like: platforms and their handles, text limits, acknowledgements.

The dialog checks these one answer at a time; the domain checks them all again on submit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from data.errors import Invalid


@dataclass(frozen=True)
class PlatformRule:
    label: str
    pattern: re.Pattern[str]
    # Shown to the person when the handle does not fit (language-neutral example).
    example: str


def _rx(pattern: str) -> re.Pattern[str]:
    # ASCII: without it a case-blind [a-z] also takes the dotless i, the dotted capital I,
    # the long s and the Kelvin sign, which no platform allows in a handle, and a handle
    # made with one only looks like a registered one (the register compares them folded).
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


# Handle rules as the platforms publish them for new accounts and pages.
PLATFORMS: dict[str, PlatformRule] = {
    "instagram": PlatformRule(
        "Instagram", _rx(r"(?!.*\.\.)(?!\.)[a-z0-9._]{1,30}(?<!\.)"), "karolinskainstitutet"
    ),
    "facebook": PlatformRule("Facebook", _rx(r"[a-z0-9.]{5,50}"), "karolinskainstitutet"),
    "linkedin": PlatformRule(
        "LinkedIn", _rx(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?"), "karolinska-institutet"
    ),
    "x": PlatformRule("X", _rx(r"[a-z0-9_]{4,15}"), "karolinskainst"),
    "youtube": PlatformRule("YouTube", _rx(r"[a-z0-9._-]{3,30}"), "karolinskainstitutet"),
    "tiktok": PlatformRule("TikTok", _rx(r"(?!.*\.$)[a-z0-9._]{2,24}"), "karolinskainstitutet"),
    "bluesky": PlatformRule(
        "Bluesky",
        _rx(r"(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"),
        "ki.bsky.social",
    ),
    "mastodon": PlatformRule(
        "Mastodon",
        _rx(r"[a-z0-9_]{1,30}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"),
        "ki@mastodon.nu",
    ),
    "threads": PlatformRule(
        "Threads", _rx(r"(?!.*\.\.)(?!\.)[a-z0-9._]{1,30}(?<!\.)"), "karolinskainstitutet"
    ),
}

SCOPES = ("unit", "university_wide", "university_administration")
RESPONSE_TIMES = ("same_day", "24h", "48h")

# The policy's demands the requester must confirm, in the order they are asked.
ACKNOWLEDGEMENTS = (
    "terms_of_use",
    "graphic_profile",
    "link_to_ki",
    "unit_named",
    "consent",
    "public_documents",
)

# Maximum lengths of typed answers (characters).
SHORT_TEXT = 200
LONG_TEXT = 1000
REASON_TEXT = 1000
MIN_PURPOSE = 10


def normalise_handle(platform: str, raw: str) -> str:
    """The handle as stored: no surrounding space, no leading @; a pasted profile address is
    reduced to the handle it names (`https://mastodon.nu/@ki` -> `ki@mastodon.nu`)."""
    handle = raw.strip()
    link = re.match(r"^https?://(?:www\.|m\.)?([^/]+)/+(.*?)/*(?:[?#].*)?$", handle, re.IGNORECASE)
    if link:
        host, path = link.group(1).lower(), link.group(2)
        parts = [p for p in path.split("/") if p]
        if platform == "mastodon" and parts and parts[0].startswith("@"):
            return f"{parts[0][1:]}@{host}"
        if platform == "bluesky" and len(parts) >= 2 and parts[0] == "profile":
            return parts[1]
        if (
            platform == "linkedin"
            and len(parts) >= 2
            and parts[0] in ("company", "showcase", "school", "in")
        ):
            return parts[1]
        handle = parts[-1] if parts else ""
    return handle[1:] if handle.startswith("@") else handle


def check_handle(platform: str, raw: str) -> str:
    rule = PLATFORMS.get(platform)
    if rule is None:
        raise Invalid("unknown_platform")
    handle = normalise_handle(platform, raw)
    if not handle:
        raise Invalid("empty")
    if not rule.pattern.fullmatch(handle):
        raise Invalid("bad_handle", platform=rule.label, example=rule.example)
    return handle


# Characters that show nothing besides whitespace, controls (Cc) and format characters (Cf:
# zero-width spaces and joiners, bidi marks and controls, the byte-order mark, the soft hyphen):
# Unicode's other default-ignorable code points (the combining grapheme joiner, Hangul fillers,
# Khmer inherent vowels, Mongolian variation selectors, variation selectors, unassigned ones)
# and the blank Braille pattern.
_SHOWS_NOTHING = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u2800\u3164\ufe00-\ufe0f"
    "\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]"
)


def visible_length(text: str) -> int:
    """How many characters of `text` show: whitespace and the characters that show nothing
    (`_SHOWS_NOTHING`, controls and format characters) do not count."""
    return sum(
        1
        for c in text
        if not (
            c.isspace()
            or unicodedata.category(c) in ("Cc", "Cf")
            or _SHOWS_NOTHING.match(c)
        )
    )


def check_text(raw: str, *, maximum: int, minimum: int = 1) -> str:
    """Typed text as stored (without surrounding whitespace), or Invalid: "empty" when nothing
    of it shows (blank, or only invisible characters such as zero-width spaces), "too_long"
    past `maximum` characters stored, "too_short" with fewer than `minimum` showing."""
    text = raw.strip()
    shown = visible_length(text)
    if not shown:
        raise Invalid("empty")
    if len(text) > maximum:
        raise Invalid("too_long", maximum=maximum, length=len(text))
    if shown < minimum:
        raise Invalid("too_short", minimum=minimum)
    return text
