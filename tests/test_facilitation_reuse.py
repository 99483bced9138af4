"""Templates, copies of past sessions and the growing library: visibility, independence, permissions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import join, login
from workshop.db import db
from workshop.models import LibraryEntry, Template


def op(client, sid, **body):
    return client.post(f"/api/sessions/{sid}/operations", json=body)


def snapshot(client, sid):
    return client.get(f"/api/sessions/{sid}").get_json()


def shape(snap):
    """What a copy must reproduce: phases, lanes and cards (by position, not id)."""
    phases = {p["id"]: i for i, p in enumerate(sorted(snap["phases"], key=lambda p: p["position"]))}
    lanes = {lane["id"]: i for i, lane in enumerate(sorted(snap["lanes"], key=lambda lane: lane["position"]))}
    return (
        [(p["current_name"], p["desired_name"], p["statement"]) for p in sorted(snap["phases"], key=lambda p: p["position"])],
        [(lane["kind"], lane["name"]) for lane in sorted(snap["lanes"], key=lambda lane: lane["position"])],
        sorted((phases[c["phase_id"]], lanes[c["lane_id"]], c["title"], c["statement"], tuple(c["channels"]))
               for c in snap["cards"]),
    )


@pytest.fixture
def fac(app, facilitator):
    client = app.test_client()
    login(client)
    return client


@pytest.fixture
def other(app, make_facilitator):
    make_facilitator(email="kees@andere-gemeente.nl", name="Kees")
    client = app.test_client()
    login(client, email="kees@andere-gemeente.nl")
    return client


def test_api_templates_lists_formulas_and_own_only(app, fac, other, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="ontwikkel", with_cards=True)
    res = fac.post(f"/sessions/{sid}/save-template", data={"name": "Onze Ontwikkel-sessie", "with_cards": "y"})
    assert res.status_code == 302
    mine = fac.get("/api/templates").get_json()
    names = [t["name"] for t in mine["templates"]]
    assert names[:5] == ["Snelserviceformule", "Ontwerpformule", "Ontwikkelformule", "Toezichtformule", "Beheerformule"]
    own = [t for t in mine["templates"] if t["own"]]
    assert [t["name"] for t in own] == ["Onze Ontwikkel-sessie"]
    assert own[0]["card_count"] > 0 and own[0]["phases"][0] == "Droom" and len(own[0]["agenda"]) == 7
    theirs = other.get("/api/templates").get_json()
    assert [t["name"] for t in theirs["templates"] if t["own"]] == []
    assert app.test_client().get("/api/templates").status_code == 401


def test_template_save_and_start_reproduces_the_board(app, fac, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="ontwikkel", with_cards=True)
    card = op(fac, sid, type="card.add", phase_id=snapshot(fac, sid)["phases"][0]["id"],
              lane_id=snapshot(fac, sid)["lanes"][2]["id"], title="Eigen idee", channels=["telefoon"])
    assert card.status_code == 200, card.get_json()
    op(fac, sid, type="agenda.set", rounds=[{"name": "Kort rondje", "duration_seconds": 300,
                                             "focus_lane_kind": "innovations"}])
    fac.post(f"/sessions/{sid}/save-template", data={"name": "Met kaarten", "with_cards": "y"})
    fac.post(f"/sessions/{sid}/save-template", data={"name": "Alleen structuur"})
    with app.app_context():
        with_cards = db.session.scalars(select(Template).where(Template.name == "Met kaarten")).one()
        structure = db.session.scalars(select(Template).where(Template.name == "Alleen structuur")).one()
        ids = with_cards.id, structure.id
    # the templates page offers both, with a start link
    page = fac.get("/templates").get_data(as_text=True)
    assert "Met kaarten" in page and f"start=template:{ids[0]}" in page
    res = fac.post("/sessions/new", data={"title": "Tweede sessie", "start": f"template:{ids[0]}"})
    assert res.status_code == 302
    new_id = int(res.headers["Location"].rstrip("/").split("/")[-1])
    source, copy = snapshot(fac, sid), snapshot(fac, new_id)
    assert shape(copy) == shape(source)
    assert [r["name"] for r in copy["agenda"]] == ["Kort rondje"] and copy["timer"]["status"] == "pending"
    assert copy["plate"] and [(i["heading"], i["text"]) for i in copy["plate"]] == \
        [(i["heading"], i["text"]) for i in source["plate"]]
    res = fac.post("/sessions/new", data={"title": "Derde", "start": f"template:{ids[1]}"})
    third = snapshot(fac, int(res.headers["Location"].rstrip("/").split("/")[-1]))
    assert shape(third)[:2] == shape(source)[:2] and third["cards"] == []


def test_copy_of_a_past_session_is_independent(app, fac, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwerp", with_cards=True)
    res = fac.post("/sessions/new", data={"title": "Kopie", "start": f"session:{sid}", "with_cards": "y"})
    copy_id = int(res.headers["Location"].rstrip("/").split("/")[-1])
    before_source, before_copy = shape(snapshot(fac, sid)), shape(snapshot(fac, copy_id))
    assert before_copy == before_source

    # change the copy: the source stays as it was
    copy = snapshot(fac, copy_id)
    op(fac, copy_id, type="card.update", id=copy["cards"][0]["id"], title="Alleen in de kopie")
    op(fac, copy_id, type="card.delete", id=copy["cards"][1]["id"])
    op(fac, copy_id, type="phase.update", id=copy["phases"][0]["id"], desired_name="Nieuwe fase")
    op(fac, copy_id, type="plate.delete", id=copy["plate"][0]["id"])
    assert shape(snapshot(fac, sid)) == before_source
    assert len(snapshot(fac, sid)["plate"]) == len(copy["plate"])

    # change the source: the copy stays as it now is
    after_copy = shape(snapshot(fac, copy_id))
    source = snapshot(fac, sid)
    op(fac, sid, type="card.update", id=source["cards"][0]["id"], title="Alleen in het origineel")
    op(fac, sid, type="lane.delete", id=source["lanes"][3]["id"])
    assert shape(snapshot(fac, copy_id)) == after_copy

    # deleting either leaves the other whole
    assert fac.post(f"/sessions/{sid}/delete").status_code == 302
    assert shape(snapshot(fac, copy_id)) == after_copy
    assert fac.get(f"/api/sessions/{sid}").status_code == 404


def test_template_is_independent_of_its_session(app, fac, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="ontwikkel", with_cards=True)
    fac.post(f"/sessions/{sid}/save-template", data={"name": "Vast", "with_cards": "y"})
    with app.app_context():
        tid = db.session.scalars(select(Template).where(Template.name == "Vast")).one().id
    summary = [t for t in fac.get("/api/templates").get_json()["templates"] if t["id"] == tid][0]
    snap = snapshot(fac, sid)
    op(fac, sid, type="card.delete", id=snap["cards"][0]["id"])
    fac.post(f"/sessions/{sid}/delete")
    assert [t for t in fac.get("/api/templates").get_json()["templates"] if t["id"] == tid][0] == summary


def test_templates_rename_delete_own_only(app, fac, other, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="ontwikkel")
    fac.post(f"/sessions/{sid}/save-template", data={"name": "Mijn sjabloon"})
    with app.app_context():
        tid = db.session.scalars(select(Template).where(Template.name == "Mijn sjabloon")).one().id
        formula_tid = db.session.scalars(select(Template).where(Template.kind == "formula")).first().id
    # another facilitator cannot see, rename, delete or start from it
    assert other.post(f"/templates/{tid}/rename", data={"name": "Gekaapt"}).status_code == 404
    assert other.post(f"/templates/{tid}/delete").status_code == 404
    assert "Mijn sjabloon" not in other.get("/templates").get_data(as_text=True)
    assert other.post("/sessions/new", data={"title": "x", "start": f"template:{tid}"}).status_code in (400, 404)
    assert other.get(f"/sessions/{sid}/save-template").status_code == 404
    # formula templates are shared and cannot be renamed or deleted
    assert fac.post(f"/templates/{formula_tid}/delete").status_code == 403
    assert fac.post(f"/templates/{formula_tid}/rename", data={"name": "x"}).status_code == 403
    # the owner can
    assert fac.post(f"/templates/{tid}/rename", data={"name": "Hernoemd"}).status_code == 302
    assert "Hernoemd" in fac.get("/templates").get_data(as_text=True)
    assert fac.post(f"/templates/{tid}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Template, tid) is None
        assert db.session.get(Template, formula_tid) is not None


def test_library_own_entries_and_vng_read_only(app, fac, other, facilitator, make_session):
    res = fac.post("/library", data={"name": "Buurtapp", "statements": "Ik zie wat er speelt.\n",
                                     "channels": ["telefoon"], "lane": "innovations"})
    assert res.status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(LibraryEntry).where(LibraryEntry.name == "Buurtapp")).one()
        eid, vng = entry.id, db.session.scalars(select(LibraryEntry).where(LibraryEntry.origin == "vng")).first()
        vng_id, vng_name = vng.id, vng.name
        assert entry.origin == "own" and entry.statements == ["Ik zie wat er speelt."]
    assert fac.post(f"/library/{eid}/edit", data={"name": "Buurt-app", "lane": "backoffice"}).status_code == 302
    found = fac.get("/library?q=buurt-app").get_data(as_text=True)
    assert "Buurt-app" in found and "Track &amp; Trace" not in found
    # VNG entries are not edited in place
    assert fac.post(f"/library/{vng_id}/edit", data={"name": "Anders"}).status_code == 403
    assert fac.post(f"/library/{vng_id}/delete").status_code == 403
    # … but can be copied into the own library
    assert fac.post(f"/library/{vng_id}/copy").status_code == 302
    with app.app_context():
        assert db.session.get(LibraryEntry, vng_id).name == vng_name
        assert db.session.scalars(select(LibraryEntry).where(LibraryEntry.origin == "own",
                                                             LibraryEntry.name == vng_name)).one()
    # another facilitator never sees or changes it
    assert "Buurt-app" not in other.get("/library").get_data(as_text=True)
    assert "Buurt-app" not in other.get("/api/library?q=Buurt").get_data(as_text=True)
    assert other.post(f"/library/{eid}/edit", data={"name": "Gekaapt"}).status_code == 404
    assert other.post(f"/library/{eid}/delete").status_code == 404
    assert "Buurt-app" in fac.get("/api/library?q=Buurt").get_data(as_text=True)
    # nor can another facilitator's participants put it on their board
    sid2, code2 = make_session(facilitator, title="Andere sessie")
    with app.app_context():
        from workshop.models import Facilitator
        kees = db.session.scalars(select(Facilitator).where(Facilitator.email == "kees@andere-gemeente.nl")).one().id
    sid3, _ = make_session(kees, title="Sessie van Kees")
    snap = snapshot(other, sid3)
    res = op(other, sid3, type="card.add", phase_id=snap["phases"][0]["id"] if snap["phases"] else 1,
             lane_id=snap["lanes"][2]["id"], library_entry_id=eid)
    assert res.status_code == 404
    assert fac.post(f"/library/{eid}/delete").status_code == 302


def test_promote_card_to_library(app, fac, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwikkel")
    participant = app.test_client()
    join(participant, code, "Anna")
    snap = snapshot(fac, sid)
    res = op(participant, sid, type="card.add", phase_id=snap["phases"][0]["id"], lane_id=snap["lanes"][2]["id"],
             title="Spreekuur op locatie", statement="Ik spreek de gemeente in mijn wijk.", channels=["persoonlijk"])
    card_id = res.get_json()["event"]["data"]["card"]["id"]
    assert op(participant, sid, type="library.promote", id=card_id).status_code == 403
    data = op(fac, sid, type="library.promote", id=card_id).get_json()["event"]["data"]
    assert data["card_id"] == card_id
    entries = fac.get("/api/library?q=Spreekuur").get_json()["entries"]
    assert [(e["name"], e["origin"], e["statements"]) for e in entries] == \
        [("Spreekuur op locatie", "own", ["Ik spreek de gemeente in mijn wijk."])]
    assert [c for c in snapshot(fac, sid)["cards"] if c["id"] == card_id][0]["library_entry_id"] == data["library_entry_id"]
    assert op(fac, sid, type="library.promote", id=card_id).status_code == 409
    assert "Spreekuur op locatie" in fac.get("/library?show=own").get_data(as_text=True)


def test_templates_and_copies_carry_no_earlier_participants_names(app, fac, facilitator, make_session):
    """A template is reused with another group: it names none of the people who wrote its cards.
    A copy of a session that hid names does not show them either, not even with names switched on."""
    sid, code = make_session(facilitator, formula="ontwikkel")
    piet = app.test_client()
    join(piet, code, "Piet Schrijver")
    snap = snapshot(fac, sid)
    assert op(piet, sid, type="card.add", phase_id=snap["phases"][0]["id"], lane_id=snap["lanes"][2]["id"],
              title="Idee van Piet").status_code == 200
    fac.post(f"/sessions/{sid}/save-template", data={"name": "Met namen aan", "with_cards": "y"})
    assert op(fac, sid, type="session.settings", anonymous=True).status_code == 200
    fac.post(f"/sessions/{sid}/save-template", data={"name": "Met namen verborgen", "with_cards": "y"})
    with app.app_context():
        docs = {t.name: t.document for t in db.session.scalars(select(Template))}
    for name in ("Met namen aan", "Met namen verborgen"):
        assert "Piet Schrijver" not in str(docs[name]), name
        assert "Idee van Piet" in str(docs[name])
    with app.app_context():
        tid = db.session.scalars(select(Template).where(Template.name == "Met namen aan")).one().id
    res = fac.post("/sessions/new", data={"title": "Nieuwe groep", "start": f"template:{tid}"})
    from_template = int(res.headers["Location"].rstrip("/").split("/")[-1])
    res = fac.post("/sessions/new", data={"title": "Kopie", "start": f"session:{sid}", "with_cards": "y"})
    copy_id = int(res.headers["Location"].rstrip("/").split("/")[-1])
    for new_id in (from_template, copy_id):
        op(fac, new_id, type="session.settings", anonymous=False)
        cards = snapshot(fac, new_id)["cards"]
        assert "Idee van Piet" in [c["title"] for c in cards]
        assert all(c["author"] is None for c in cards), new_id
