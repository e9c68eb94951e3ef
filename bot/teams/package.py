"""The Teams app package an administrator uploads: manifest, Swedish strings and two icons.

`manifest.json` beside this file is the template; the bot's app id, the version, the
descriptions and the command menu are filled in here. The command menu lists every command the
bot has a flow for (`dialogs.router.COMMANDS`), described in the words of the bot's own help,
in English and (through the message catalogue) in Swedish. The icons are drawn here, so the
repository holds no binary files.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from dialogs.help import DESCRIPTIONS, INTRO
from dialogs.i18n import Translator
from dialogs.router import COMMANDS

TEMPLATE = Path(__file__).parent / "manifest.json"
PLUM = (0x4F, 0x04, 0x33)
WHITE = (0xFF, 0xFF, 0xFF)
# Zip entries get a fixed time, so the same input builds the same package.
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def commands(tr: Translator) -> list[dict[str, str]]:
    return [{"title": name, "description": tr(DESCRIPTIONS[name])[:128]} for name in COMMANDS]


def _descriptions(tr: Translator) -> tuple[str, str]:
    short = tr(INTRO)[:80]
    full = " ".join([tr(INTRO), *(f"{c['title']}: {c['description']}" for c in commands(tr))])
    return short, full[:4000]


def _fill(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str):
        if node in values and not isinstance(values[node], str):
            return values[node]
        for placeholder, value in values.items():
            if isinstance(value, str):
                node = node.replace(placeholder, value)
    return node


def manifest(app_id: str) -> dict[str, Any]:
    tr = Translator("en")
    short, full = _descriptions(tr)
    try:
        version = metadata.version("kontobot")
    except metadata.PackageNotFoundError:
        version = "0.1.0"
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return dict(
        _fill(
            template,
            {
                "{{MICROSOFT_APP_ID}}": app_id,
                "{{VERSION}}": version,
                "{{DESCRIPTION_SHORT}}": short,
                "{{DESCRIPTION_FULL}}": full,
                "{{COMMANDS}}": commands(tr),
            },
        )
    )


def swedish() -> dict[str, Any]:
    """The manifest's strings in Swedish (Teams' localization file)."""
    tr = Translator("sv")
    short, full = _descriptions(tr)
    strings: dict[str, Any] = {
        "$schema": "https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.Localization.schema.json",
        "name.short": "kontobot",
        "name.full": "kontobot",
        "description.short": short,
        "description.full": full,
    }
    for index, command in enumerate(commands(tr)):
        prefix = f"bots[0].commandLists[0].commands[{index}]"
        strings[f"{prefix}.title"] = command["title"]
        strings[f"{prefix}.description"] = command["description"]
    return strings


def png(size: int, pixel: Callable[[float, float], tuple[int, ...]], *, alpha: bool) -> bytes:
    """A square PNG; `pixel(u, v)` gives the colour at the centre of each pixel (0..1)."""
    rows = b"".join(
        b"\x00"
        + b"".join(bytes(pixel((x + 0.5) / size, (y + 0.5) / size)) for x in range(size))
        for y in range(size)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 6 if alpha else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _in_k(u: float, v: float) -> bool:
    """The letter K, drawn in the unit square."""

    def near(ax: float, ay: float, bx: float, by: float, width: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)))
        return (u - ax - t * dx) ** 2 + (v - ay - t * dy) ** 2 <= width * width

    stem = 0.28 <= u <= 0.40 and 0.22 <= v <= 0.78
    return stem or near(0.38, 0.52, 0.72, 0.22, 0.06) or near(0.45, 0.45, 0.74, 0.78, 0.06)


def color_icon() -> bytes:
    return png(192, lambda u, v: WHITE if _in_k(u, v) else PLUM, alpha=False)


def outline_icon() -> bytes:
    return png(32, lambda u, v: (*WHITE, 255) if _in_k(u, v) else (0, 0, 0, 0), alpha=True)


def build(app_id: str, output: Path) -> Path:
    """Write the app package for the bot `app_id` to `output`."""
    files = {
        "manifest.json": json.dumps(manifest(app_id), indent=2, ensure_ascii=False).encode(),
        "sv.json": json.dumps(swedish(), indent=2, ensure_ascii=False).encode(),
        "color.png": color_icon(),
        "outline.png": outline_icon(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(buffer.getvalue())
    return output
