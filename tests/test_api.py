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
