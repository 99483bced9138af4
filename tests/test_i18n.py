"""Dutch by default, English selectable, and no Dutch string left untranslated."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def test_dutch_by_default_english_on_request(client):
    assert "Doe mee aan de sessie" in client.get("/").data.decode()
    en = client.get("/?lang=en")
    assert "Join the session" in en.data.decode()
    assert "lang=en" in en.headers["Set-Cookie"]
    assert "Join the session" in client.get("/").data.decode()  # remembered
    assert "Doe mee aan de sessie" in client.get("/?lang=nl").data.decode()


def test_every_message_has_a_dutch_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "N_", "-o", str(pot), str(ROOT)], check=True, capture_output=True, cwd=ROOT)
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    from workshop.i18n import JS_STRINGS, JS_STRINGS_EXTRA

    wanted |= set(JS_STRINGS) | set(JS_STRINGS_EXTRA)
    with open(ROOT / "workshop/translations/nl/LC_MESSAGES/messages.po", "rb") as fh:
        nl = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(m for m in wanted if not nl.get(m))
    assert missing == [], f"untranslated: {missing}"
