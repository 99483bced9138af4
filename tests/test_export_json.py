"""JSON export and import: a round trip gives the same board; broken or hostile files create nothing."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from conftest import join, login
from workshop.board.errors import ValidationError
from workshop.export import document
from workshop.models import (AgendaRound, Card, Lane, Participant, Phase, PlateItem, Template, Vote, VoteRound,
                             WorkshopSession)
from workshop.sessions import join_session

TABLES = (WorkshopSession, Phase, Lane, Card, PlateItem, AgendaRound, Participant, VoteRound, Vote, Template)


def counts(db) -> dict:
    return {t.__tablename__: db.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture
def source(app, db_session, facilitator, make_session):
    """An Ontwerpformule session with cards, participants, authors and a closed vote."""
    session_id, _code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    ws = db_session.get(WorkshopSession, session_id)
    anna, _ = join_session(db_session, ws, "Anna Ëlberg")
    bram, _ = join_session(db_session, ws, "Bram")
    cards = db_session.scalars(select(Card).where(Card.session_id == ws.id).order_by(Card.id)).all()
    cards[0].author_name, cards[0].author_participant_id = "Anna Ëlberg", anna.id
    cards[1].statement = "Ik betaal € 12 – één keer"
    lane = db_session.get(Lane, cards[0].lane_id)
    vr = VoteRound(session_id=ws.id, lane_id=lane.id, votes_per_participant=3, max_per_card=2, status="closed")
    db_session.add(vr)
    db_session.flush()
    db_session.add_all([Vote(vote_round_id=vr.id, card_id=cards[0].id, participant_id=anna.id, count=2),
                        Vote(vote_round_id=vr.id, card_id=cards[0].id, participant_id=bram.id, count=1),
                        Vote(vote_round_id=vr.id, card_id=cards[2].id, participant_id=bram.id, count=1)])
    cards[0].votes, cards[2].votes = 3, 1
    db_session.commit()
    return ws


def _board(db, ws) -> dict:
    """The board as plain values, without ids: what must survive a round trip."""
    phases = db.scalars(select(Phase).where(Phase.session_id == ws.id).order_by(Phase.position, Phase.id)).all()
    lanes = db.scalars(select(Lane).where(Lane.session_id == ws.id).order_by(Lane.position, Lane.id)).all()
    pn = {p.id: n for n, p in enumerate(phases)}
    ln = {lane.id: n for n, lane in enumerate(lanes)}
    cards = db.scalars(select(Card).where(Card.session_id == ws.id)).all()
    people = db.scalars(select(Participant).where(Participant.session_id == ws.id).order_by(Participant.id)).all()
    names = {p.id: p.display_name for p in people}
    titles = {c.id: c.title for c in cards}
    votes = db.execute(select(Vote, VoteRound).join(VoteRound, VoteRound.id == Vote.vote_round_id)
                       .where(VoteRound.session_id == ws.id)).all()
    return {
        "meta": (ws.title, ws.municipality, ws.product, ws.formula_id, ws.tagline, ws.personas, ws.anonymous,
                 ws.edit_policy, ws.session_date),
        "phases": [(p.current_name, p.desired_name, p.statement) for p in phases],
        "lanes": [(lane.kind, lane.name) for lane in lanes],
        "cards": sorted((pn[c.phase_id], ln[c.lane_id], c.position, c.title, c.statement, tuple(c.channels),
                         c.author_name, c.votes, c.library_entry_id) for c in cards),
        "plate": [(i.section, i.heading, i.text) for i in db.scalars(
            select(PlateItem).where(PlateItem.session_id == ws.id).order_by(PlateItem.position))],
        "agenda": [(r.name, r.duration_seconds, r.instructions, r.focus_lane_kind) for r in db.scalars(
            select(AgendaRound).where(AgendaRound.session_id == ws.id).order_by(AgendaRound.position))],
        "participants": sorted(names.values()),
        "votes": sorted((ln.get(r.lane_id), r.status, r.votes_per_participant, r.max_per_card, titles[v.card_id],
                         names[v.participant_id], v.count) for v, r in votes),
    }


def test_round_trip_gives_an_equal_board(db_session, facilitator, source):
    exported = document.export_document(db_session, source)
    data = document.dumps(exported)
    copy = document.import_document(db_session, document.parse(data), facilitator_id=facilitator)
    db_session.commit()
    assert copy.id != source.id and copy.join_code != source.join_code
    assert copy.status == "draft"
    before, after = _board(db_session, source), _board(db_session, copy)
    assert before["cards"] and before["votes"] and before["participants"] == ["Anna Ëlberg", "Bram"]
    for key in before:
        assert after[key] == before[key], key
    again = document.export_document(db_session, copy)
    for key in exported:
        if key != "exported_at":
            assert again[key] == exported[key], key


def test_imported_participants_cannot_log_in(db_session, facilitator, source):
    copy = document.import_document(db_session, document.export_document(db_session, source),
                                    facilitator_id=facilitator)
    hashes = db_session.scalars(select(Participant.token_hash).where(Participant.session_id == copy.id)).all()
    originals = set(db_session.scalars(select(Participant.token_hash).where(Participant.session_id == source.id)))
    assert hashes and not originals & set(hashes)


def test_import_as_template(db_session, facilitator, source):
    doc = document.export_document(db_session, source)
    t = document.import_document(db_session, doc, facilitator_id=facilitator, as_template=True)
    db_session.commit()
    assert t.kind == "import" and t.owner_id == facilitator and t.with_cards
    assert t.document["cards"] and "participants" not in t.document
    assert all(c["author"] is None and not c["votes"] for c in t.document["cards"])  # a template names no one
    assert db_session.scalar(select(func.count(WorkshopSession.id))) == 1


def _valid(db_session, source) -> dict:
    return json.loads(document.dumps(document.export_document(db_session, source)))


def _hostile(valid: dict) -> dict[str, bytes]:
    def changed(fn):
        doc = json.loads(json.dumps(valid))
        fn(doc)
        return json.dumps(doc).encode()

    text = json.dumps(valid).encode()
    return {
        "malformed": b"{schema: workshop-board}",
        "truncated": text[: len(text) // 2],
        "empty": b"",
        "not utf-8": "{\"schema\": \"workshop-board\", \"x\": \"é\"}".encode("latin-1"),
        "not an object": b"[1, 2, 3]",
        "oversized": b'{"schema": "workshop-board", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}',
        "deep nesting": b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "moderate nesting": changed(lambda d: d["session"].update(personas=[[[[["x"]]]]])),
        "huge number": changed(lambda d: d["cards"][0].update(votes=10 ** 40)),
        "negative votes": changed(lambda d: d["cards"][0].update(votes=-1)),
        "float": text.replace(b'"version": 1', b'"version": 1.0'),
        "nan": text.replace(b'"version": 1', b'"version": NaN'),
        "wrong schema": changed(lambda d: d.update(schema="something-else")),
        "future version": changed(lambda d: d.update(version=2)),
        "title not text": changed(lambda d: d["cards"][0].update(title=5)),
        "cards not a list": changed(lambda d: d.update(cards={"a": 1})),
        "unknown formula": changed(lambda d: d["session"].update(formula="wonderformule")),
        "unknown channel": changed(lambda d: d["cards"][0].update(channels=["postduif"])),
        "unknown field": changed(lambda d: d["cards"][0].update(admin=True)),
        "unknown top-level field": changed(lambda d: d.update(__proto__={})),
        "card in a missing phase": changed(lambda d: d["cards"][0].update(phase="p999")),
        "title too long": changed(lambda d: d["cards"][0].update(title="x" * 201)),
        "vote for a missing card": changed(lambda d: d["votes"][0].update(card="c99999")),
        "duplicate vote": changed(lambda d: d["votes"].append(dict(d["votes"][0]))),
        "duplicate participant key": changed(lambda d: d["participants"].append(dict(d["participants"][0]))),
        "a million cards": (b'{"schema": "workshop-board", "version": 1, "session": {}, "phases": [], '
                            b'"lanes": [], "cards": [' + b",".join([b"{}"] * 1_000_000) + b"]}"),
    }


def test_broken_and_hostile_files_are_refused_and_create_nothing(db_session, facilitator, source):
    valid = _valid(db_session, source)
    before = counts(db_session)
    for name, data in _hostile(valid).items():
        for as_template in (False, True):
            with pytest.raises(ValidationError) as err:
                document.import_document(db_session, document.parse(data), facilitator_id=facilitator,
                                         as_template=as_template)
            assert str(err.value), name
            db_session.rollback()
            assert counts(db_session) == before, name


def test_import_page_creates_a_session_or_template(client, db_session, facilitator, source):
    data = document.dumps(document.export_document(db_session, source))
    assert client.get("/sessions/import").status_code == 302  # login first
    login(client)
    assert client.get("/sessions/import").status_code == 200
    res = client.post("/sessions/import", data={"file": (io.BytesIO(data), "s.json"), "target": "session"},
                      content_type="multipart/form-data")
    assert res.status_code == 302 and "/s/" in res.headers["Location"]
    res = client.post("/sessions/import", data={"file": (io.BytesIO(data), "s.json"), "target": "template"},
                      content_type="multipart/form-data")
    assert res.status_code == 302
    db_session.expire_all()
    assert db_session.scalar(select(func.count(WorkshopSession.id))) == 2
    assert db_session.scalar(select(func.count(Template.id)).where(Template.kind == "import")) == 1
    before = counts(db_session)
    res = client.post("/sessions/import", data={"file": (io.BytesIO(data[:100]), "s.json"), "target": "session"},
                      content_type="multipart/form-data")
    assert res.status_code == 400 and "JSON" in res.get_data(as_text=True)
    big = b" " * (6 * 1024 * 1024)
    res = client.post("/sessions/import", data={"file": (io.BytesIO(big), "s.json"), "target": "session"},
                      content_type="multipart/form-data")
    assert res.status_code == 413
    db_session.expire_all()
    assert counts(db_session) == before


def test_import_needs_the_csrf_token(csrf_app, db_session, facilitator, source):
    data = document.dumps(document.export_document(db_session, source))
    db_session.rollback()  # release SQLite: the second app writes through its own engine
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "fien@gemeente.nl", "password": "correct-horse-battery",
                                "csrf_token": token})
    before = counts(db_session)
    db_session.rollback()
    res = client.post("/sessions/import", data={"file": (io.BytesIO(data), "s.json"), "target": "session"},
                      content_type="multipart/form-data")
    assert res.status_code == 400
    db_session.expire_all()
    assert counts(db_session) == before


def test_json_route_for_the_facilitator_only(app, client, source):
    participant = app.test_client()
    join(participant, source.join_code)
    assert participant.get(f"/s/{source.id}/export.json").status_code == 403
    assert app.test_client().get(f"/s/{source.id}/export.json").status_code in (302, 404)
    login(client)
    res = client.get(f"/s/{source.id}/export.json")
    assert res.status_code == 200 and res.mimetype == "application/json"
    doc = json.loads(res.data)
    assert doc["schema"] == "workshop-board" and doc["version"] == 1 and doc["cards"]


def test_cli_export_and_import(app, db_session, source, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "s.json"
    result = runner.invoke(args=["export", "json", str(source.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["import", str(out)])
    assert result.exit_code == 0, result.output
    assert "join code" in result.output
    result = runner.invoke(args=["import", str(out), "--as-template", "--facilitator", "fien@gemeente.nl"])
    assert result.exit_code == 0 and "template" in result.output
    bad = tmp_path / "bad.json"
    bad.write_bytes(out.read_bytes()[:500])
    db_session.expire_all()
    before = counts(db_session)
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code != 0 and "not valid JSON" in result.output
    db_session.expire_all()
    assert counts(db_session) == before
