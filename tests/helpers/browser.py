"""Debian's chromium, driven by Playwright: never a downloaded browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags chromium keeps calling Google's hosts, which this network refuses.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _broken(pattern: str, what: str) -> str:
    """A script for `page.evaluate(script, root)`: the runs of text matching `pattern` under
    the element `root` (a CSS selector) that the browser broke across lines, text in charts
    (SVG) left out."""
    return r"""(root) => {
  const problems = [];
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("svg")) continue;
    for (const match of node.data.matchAll(/PATTERN/g)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size > 1) problems.push(`WHAT broken across ${lines.size} lines: ${match[0]}`);
    }
  }
  return problems;
}""".replace("PATTERN", pattern).replace("WHAT", what)


# The browser breaks a word only when it is wider than its box, so a broken word means a box
# too narrow. A break after a hyphen is not one ...
BROKEN_WORDS = _broken(r"[^\s\-–]+", "word")
# ... except inside a date (2027-03-02), which a narrow column (a phone) may break there.
BROKEN_DATES = _broken(r"\d{4}-\d{2}-\d{2}", "date")

def require_chromium() -> None:
    """Skip the calling test module without chromium; under CI (CI set) fail it instead."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing, and under CI the browser test must run", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium); the browser test needs Debian's chromium",
        allow_module_level=True,
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()

