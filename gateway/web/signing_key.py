"""The key that signs what the pages hand to browsers: CSRF tokens, the list of payments a
browser started, receipts' verification codes.

Every server process must hold the same key, or a form rendered by one worker is refused by
the next. ``PUBLICPAY_WEB_SECRET`` sets it (required when several machines serve); when it
is unset the first process creates ``$PUBLICPAY_HOME/web_secret`` and the others read it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from functools import cache
from pathlib import Path

from litestar.connection import ASGIConnection

SECRET_FILE = "web_secret"


@cache
def signing_key(web_secret: str | None, home: str) -> bytes:
    if web_secret:
        return hashlib.sha256(web_secret.encode()).digest()
    return hashlib.sha256(_shared_file_secret(Path(home) / SECRET_FILE)).digest()


def _shared_file_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_bytes(secrets.token_hex(32).encode())
        draft.chmod(0o600)
        try:
            # A hard link appears whole or not at all, and fails if another process won:
            # every process ends up reading the one file that was linked first.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()


def request_signing_key(request: ASGIConnection) -> bytes:
    settings = request.app.state.settings
    return signing_key(settings.web_secret, settings.home)
