"""Dutch by default, English selectable, and no Dutch string left untranslated."""
from __future__ import annotations

import re
import shutil
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


def test_the_readme_workflow_leaves_the_catalogue_complete(tmp_path):
    """`make messages` (extract + update) on a copy: nothing obsolete, nothing untranslated, nothing fuzzy."""
    copy = tmp_path / "translations"
    shutil.copytree(ROOT / "workshop" / "translations", copy)
    subprocess.run(["make", "-s", "messages", f"BIN={Path(sys.executable).parent}", f"TRANSLATIONS={copy}",
                    f"POT={tmp_path / 'messages.pot'}"], cwd=ROOT, check=True, capture_output=True, timeout=120)
    with open(ROOT / "workshop/translations/nl/LC_MESSAGES/messages.po", "rb") as fh:
        before = {m.id for m in read_po(fh) if m.id}
    with open(copy / "nl/LC_MESSAGES/messages.po", "rb") as fh:
        after = read_po(fh)
    obsolete = sorted(after.obsolete)
    assert obsolete == [], f"in the catalogue but in no code (or not extractable): {obsolete}"
    untranslated = sorted(m.id for m in after if m.id and not m.string)
    assert untranslated == [], f"no Dutch translation yet: {untranslated}"
    assert sorted(m.id for m in after if m.id and m.fuzzy) == []
    assert {m.id for m in after if m.id} == before


JS_LITERAL_CALL = re.compile(r"""\b(?:t|N_)\(\s*(['"])((?:(?!\1)[^\\])*)\1|\btn\(\s*(['"])((?:(?!\3)[^\\])*)\3\s*,\s*(['"])((?:(?!\5)[^\\])*)\5""")


def test_every_literal_string_the_browser_code_translates_is_extracted():
    """A t('…') that Babel cannot see (e.g. nested in another call's arguments) would stay English."""
    from workshop.js_i18n import js_msgids

    extracted = set(js_msgids())
    written = set()
    for path in (ROOT / "static" / "js").rglob("*.js"):
        for m in JS_LITERAL_CALL.finditer(path.read_text(encoding="utf-8")):
            written |= {g for g in (m.group(2), m.group(4), m.group(6)) if g}
    assert len(written) > 100
    assert sorted(written - extracted) == [], "rewrite these calls so Babel sees them"


def test_the_board_page_hands_the_browser_its_dutch_strings(client, facilitator, make_session):
    import json

    from conftest import login

    sid, _code = make_session(facilitator)
    login(client)
    page = client.get(f"/s/{sid}").get_data(as_text=True)
    strings = json.loads(re.search(r'<script type="application/json" id="board-i18n">(.*?)</script>', page, re.S)
                         .group(1))
    assert strings["Someone"] == "Iemand" and strings["Reconnecting…"] != "Reconnecting…"
    assert strings["Service innovations"] == "Dienstinnovaties"  # an N_() label
    assert strings["%(n)s change waiting to be sent"] != "%(n)s change waiting to be sent"  # a tn() form


def test_dutch_error_messages_name_fields_in_dutch(client, facilitator, make_session):
    from conftest import login

    sid, _code = make_session(facilitator, formula="Ontwerp")
    login(client)
    board = client.get(f"/api/sessions/{sid}").get_json()
    op = {"type": "card.add", "op_id": "x1", "phase_id": board["phases"][0]["id"],
          "lane_id": board["lanes"][0]["id"], "title": "x" * 500}
    error = client.post(f"/api/sessions/{sid}/operations", json=op).get_json()["error"]
    assert error["field"] == "title" and error["code"] == "too_long"
    assert error["message"].startswith("Het veld “titel”"), error
    del op["phase_id"]
    error = client.post(f"/api/sessions/{sid}/operations", json=dict(op, title="ok", op_id="x2")).get_json()["error"]
    assert "“fase”" in error["message"] and error["field"] == "phase_id", error
    english = client.post(f"/api/sessions/{sid}/operations?lang=en", json=dict(op, op_id="x3")).get_json()["error"]
    assert "“phase”" in english["message"], english


def test_every_field_a_message_names_has_a_label():
    from workshop.board.errors import FIELD_LABELS

    used = set()
    for path in (ROOT / "workshop").rglob("*.py"):
        used |= set(re.findall(r'v\.(?:text|integer|boolean|choice|channel_list)\(\s*\w+,\s*"(\w+)"',
                               path.read_text(encoding="utf-8")))
    assert len(used) > 25
    assert sorted(used - set(FIELD_LABELS)) == []
