"""A newcomer's first ten minutes: the documents point only at what a clone has, describe the
design themselves, name KI's guidelines with their public addresses, and say how long the
tests take."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data import export

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "bench" / "README.md",
             *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) links, and paths in `code` that look like files of ours.
LINK = re.compile(r"\]\(([^)\s]+)\)")
GUIDELINES = {
    "Social media guidelines": "https://staff.ki.se/social-media-guidelines",
    "Riktlinjer för upprättande av konto i sociala medier":
        "https://ki.se/medarbetare/riktlinjer-for-upprattande-av-konto-i-sociala-medier",
}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_is_to_something_in_the_repository(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    # Nothing outside the clone (the design once lived in ../shared/).
    assert "../" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (document.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), target


def test_the_readme_leads_to_the_design_and_names_the_guidelines() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/DESIGN.md)" in readme
    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    for text in (readme, design):
        for name, address in GUIDELINES.items():
            assert name in text and f"<{address}>" in text, name
        assert "socialmedia@ki.se" in text


def test_the_readme_says_how_long_the_tests_take() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    testing = readme[readme.index("## Test"):]
    assert re.search(r"some \d+ minutes", testing)
    assert "each browser test about a minute" in testing


def test_the_readme_says_what_the_export_writes() -> None:
    """`kontobot export`'s usage line offers every `--what`, and what the README says `--what
    all` writes is every table of data.export, in the order it writes them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [offered] = re.findall(r"kontobot export \[--format csv\|json\] \[--what ([^\]\s]+)\]", readme)
    assert tuple(offered.split("|")) == export.WHATS
    [described] = [p for p in readme.split("\n\n") if "`--what all`" in p]
    said = described[described.index("`--what all`"):]
    named = [n for n in re.findall(r"`([a-z_]+)`", said) if n in export.PARTS]
    assert named == list(export.PARTS), said
    assert "`--what records`" in said and "the default" in said
