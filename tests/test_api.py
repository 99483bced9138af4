"""The read API: library with filters, formulas, a session's board."""
from __future__ import annotations

from conftest import join, login


def test_library_filters(client):
    all_ = client.get("/api/library").get_json()
    assert all_["count"] == 78
    q = client.get("/api/library?q=track").get_json()
    assert [e["name"] for e in q["entries"]] == ["Track & Trace"]
    by_statement = client.get("/api/library?q=iDEAL").get_json()
    assert "Webshop betaling" in [e["name"] for e in by_statement["entries"]]
    sms = client.get("/api/library?channel=sms").get_json()
    assert sms["count"] > 0 and all("sms" in e["channels"] for e in sms["entries"])
    back = client.get("/api/library?lane=backoffice").get_json()
    assert back["count"] == 20 and all(e["lane"] == "backoffice" for e in back["entries"])
    toezicht = client.get("/api/library?formula=toezicht&lane=innovations").get_json()
    names = {e["name"] for e in toezicht["entries"]}
    assert "Stip op de kaart" in names and all("toezicht" in e["formulas"] for e in toezicht["entries"])
    assert client.get("/api/library?channel=fax").get_json()["count"] == 0


def test_formulas(client):
    body = client.get("/api/formulas").get_json()
    names = [f["name"] for f in body["formulas"]]
    assert len(names) == 5 and "Ontwerpformule" in names
    ontwerp = next(f for f in body["formulas"] if f["slug"] == "ontwerp")
    assert "Wegwijs" in ontwerp["aliases"] and ontwerp["customer_role"] == "klant"


def test_session_board_for_members_only(app, facilitator, make_session):
    sid, code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    f = app.test_client()
    login(f)
    board = f.get(f"/api/sessions/{sid}").get_json()
    assert board["session"]["join_code"] == code
    assert board["phases"][0]["desired_name"] == "Kansen zoeken"
    assert {lane["kind"] for lane in board["lanes"]} == {"current", "desired", "innovations", "backoffice"}
    assert any(c["title"] == "Stip op de kaart" for c in board["cards"])
    p = app.test_client()
    join(p, code, "Piet")
    pboard = p.get(f"/api/sessions/{sid}").get_json()
    assert "join_code" not in pboard["session"] and pboard["cards"] == board["cards"]
    assert app.test_client().get(f"/api/sessions/{sid}").status_code == 404


def test_library_as_the_session_board_shows_it(app, facilitator, make_session, db_session):
    """Participants see the facilitator's own entries on the board, through the same filters."""
    from workshop.reuse import create_entry

    create_entry(db_session, facilitator, {"name": "Spreekuur in de wijk", "statements": ["Ik loop binnen."],
                                           "channels": ["persoonlijk"], "lane": "innovations"})
    db_session.commit()
    sid, code = make_session(facilitator)
    p = app.test_client()
    join(p, code, "Piet")
    assert "Spreekuur in de wijk" in p.get(f"/s/{sid}").data.decode()
    found = p.get(f"/api/library?session={sid}&q=spreekuur").get_json()
    assert [e["name"] for e in found["entries"]] == ["Spreekuur in de wijk"]
    assert p.get("/api/library?q=spreekuur").get_json()["count"] == 0  # without the session: VNG only
    assert app.test_client().get(f"/api/library?session={sid}").status_code == 404


# -- every /api/ answer is JSON, errors included ---------------------------------------------------

def assert_json_error(res, status: int, code: str | None = None) -> dict:
    assert res.status_code == status, (res.status_code, res.get_data(as_text=True)[:300])
    assert res.mimetype == "application/json", res.get_data(as_text=True)[:300]
    error = res.get_json()["error"]
    assert error["message"] and error["code"] == (code or error["code"])
    return error


def test_api_errors_are_translated_json(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a crash becomes a 500 answer

    def crash():
        raise RuntimeError("boom")

    def busy():
        from werkzeug.exceptions import TooManyRequests
        raise TooManyRequests(retry_after=30)

    app.add_url_rule("/api/test-crash", "test_crash", crash)
    app.add_url_rule("/api/test-busy", "test_busy", busy)
    assert assert_json_error(client.get("/api/nothing-here"), 404, "not_found")["message"] == \
        "Dit bestaat niet (meer)."
    assert_json_error(client.get("/api/sessions/999999"), 404)
    res = client.delete("/api/library")
    assert_json_error(res, 405, "method_not_allowed")
    assert "GET" in res.headers["Allow"]
    assert_json_error(client.get("/api/templates"), 401, "login_required")
    assert_json_error(client.get("/api/test-crash"), 500, "server_error")
    res = client.get("/api/test-busy")
    assert_json_error(res, 429, "rate_limited")
    assert res.headers["Retry-After"] == "30"
    english = client.get("/api/nothing-here?lang=en")
    assert assert_json_error(english, 404)["message"] == "This does not exist (any more)."
    assert client.get("/nothing-here").mimetype == "text/html"  # pages keep their HTML error pages


def test_too_large_and_not_json_operations_answer_json(app, client, facilitator, make_session):
    sid, _code = make_session(facilitator)
    login(client)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    assert_json_error(client.post(f"/api/sessions/{sid}/operations", data="x" * 5000,
                                  content_type="application/json"), 413, "too_large")
    assert_json_error(client.post(f"/api/sessions/{sid}/operations", data="{", content_type="application/json"),
                      400, "malformed")


def test_a_participant_page_carries_the_csrf_token_the_http_fallback_sends(csrf_app, make_facilitator,
                                                                           make_session):
    import re

    fid = make_facilitator()
    sid, code = make_session(fid, formula="Ontwerp")
    c = csrf_app.test_client()
    page = c.get(f"/j/{code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert c.post(f"/j/{code}", data={"csrf_token": token, "display_name": "Piet"}).status_code == 302
    board = c.get(f"/s/{sid}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', board).group(1)
    snapshot = c.get(f"/api/sessions/{sid}").get_json()
    op = {"type": "card.add", "op_id": "p-http-1", "phase_id": snapshot["phases"][0]["id"],
          "lane_id": snapshot["lanes"][0]["id"], "title": "Via HTTP"}
    without = c.post(f"/api/sessions/{sid}/operations", json=op)
    assert_json_error(without, 400, "csrf")
    res = c.post(f"/api/sessions/{sid}/operations", json=op, headers={"X-CSRFToken": token})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["event"]["data"]["card"]["title"] == "Via HTTP"
