"""The server's secret key: from KONTOBOT_SECRET_KEY, or from a key file made on first start.

It signs the dashboard's sign-in links and derives its CSRF tokens (data.signin). It is never
in the database: whoever holds a copy of the database (a backup, a replica, a dump sent for
support) must not be able to sign anyone in. Every process serving the same dashboard needs
the same key: set KONTOBOT_SECRET_KEY, or share the key file.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from bot.settings import Settings

log = logging.getLogger(__name__)

# 32 bytes of randomness written as url-safe base64 are 43 characters; a shorter key given by
# hand is refused rather than weakening every link.
MIN_LENGTH = 32


class SecretKeyError(RuntimeError):
    """The key is unusable: the message says why and what to do."""


def load(settings: Settings) -> bytes:
    """The key as bytes (its text in UTF-8). The file is made, 0600, when there is none."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        return _checked(settings.secret_key.get_secret_value().strip(), "KONTOBOT_SECRET_KEY")
    path = Path(settings.secret_key_file)
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning(
            "the secret key file %s can be read by other users (mode %o): chmod 600 it", path, mode
        )
    return _checked(path.read_text(encoding="utf-8").strip(), str(path))


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    try:
        # A hard link appears whole or not at all, and never replaces a key another process
        # made at the same moment: then both use that one.
        os.link(draft, path)
        log.info("made a new secret key in %s (keep it out of backups of the database)", path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def _checked(key: str, where: str) -> bytes:
    if len(key) < MIN_LENGTH:
        raise SecretKeyError(
            f"the secret key in {where} is shorter than {MIN_LENGTH} characters: make one with "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return key.encode("utf-8")
