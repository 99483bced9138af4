"""docs/openapi.yaml is true: Schemathesis fuzzes the running app with it.

No server errors, and every response (status code, content type, JSON body,
headers) matches the document. The run uses a facilitator's cookie, so the
board and export endpoints answer 200 for the facilitator's own session, and
the session id is narrowed to that session (and one that does not exist).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import login
from live_server import USER_AGENT, LiveServer, http_client, session_cookie

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "openapi.yaml"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


def test_openapi_document_is_valid_and_covers_the_json_routes(app):
    spec = yaml.safe_load(SPEC.read_text())
    assert spec["openapi"].startswith("3.0")  # Schemathesis validates the rest when it loads it
    documented = set(spec["paths"])
    routes = {rule.rule.replace("<int:session_id>", "{session_id}") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") or "/export." in rule.rule}
    assert routes == documented, routes ^ documented
    from workshop.board.operations import HANDLERS
    assert set(spec["components"]["schemas"]["Operation"]["properties"]["type"]["enum"]) == set(HANDLERS)


def test_schemathesis_finds_no_server_errors_and_no_schema_mismatches(app, facilitator, make_session, tmp_path):
    cli = Path(sys.executable).parent / "schemathesis"
    if not cli.exists():
        pytest.fail("schemathesis is a test dependency: pip install -e '.[test]'")
    sid, _ = make_session(facilitator, formula="ontwerp", with_cards=True)
    spec = yaml.safe_load(SPEC.read_text())
    spec["components"]["parameters"]["SessionId"]["schema"] = {"type": "integer", "enum": [sid, sid + 1000]}
    narrowed = tmp_path / "openapi.json"
    narrowed.write_text(json.dumps(spec))
    client = http_client(app)
    login(client)
    with LiveServer(app) as server:
        res = subprocess.run(
            [str(cli), "run", str(narrowed), "--url", server.url, "--checks", CHECKS,
             "--max-examples", "25", "--seed", "6", "--workers", "1", "--no-color",
             "--header", f"Cookie: {session_cookie(client)}", "--header", f"User-Agent: {USER_AGENT}",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=240, cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    assert "No issues found" in out, out[-3000:]
    # the cookie worked: operations were applied to the session, not only refused
    from workshop.db import db as database
    from workshop.models import WorkshopSession
    with app.app_context():
        assert database.session.get(WorkshopSession, sid).seq > 0
        database.session.rollback()
