"""Participants' names as personal data (AVG): retention, deletion, anonymous exports."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

from sqlalchemy import String, Text, func, inspect, select, text

from conftest import facilitator_actor, join, login
from workshop.board import Actor, apply_operation
from workshop.db import Base, utcnow
from workshop.db import db as database
from workshop.models import BoardEvent, Card, Lane, Participant, Phase, WorkshopSession


def _session_with_names(app, client, facilitator, make_session, names=("Piet Jansen", "Els de Vries")):
    """A session where each participant wrote a card and voted; returns (id, code, secret marker)."""
    marker = uuid.uuid4().hex[:8]
    sid, code = make_session(facilitator, title=f"Sessie {marker}", formula="ontwerp")
    clients = []
    for name in names:
        c = app.test_client()
        join(c, code, f"{name} {marker}")
        clients.append(c)
    with app.app_context():
        s = database.session
        phase = s.scalars(select(Phase).where(Phase.session_id == sid)).first()
        lane = s.scalars(select(Lane).where(Lane.session_id == sid, Lane.kind == "innovations")).first()
        fac = facilitator_actor(facilitator)
        apply_operation(s, sid, fac, {"type": "vote.open", "lane_id": lane.id, "votes_per_participant": 3})
        s.commit()
        for p in s.scalars(select(Participant).where(Participant.session_id == sid).order_by(Participant.id)):
            actor = Actor("participant", p.id, p.display_name)
            card = apply_operation(s, sid, actor, {"type": "card.add", "phase_id": phase.id, "lane_id": lane.id,
                                                   "title": f"Idee nummer {p.id}"})
            s.commit()
            apply_operation(s, sid, actor, {"type": "vote.cast", "card_id": card.payload["card"]["id"]})
            s.commit()
        apply_operation(s, sid, fac, {"type": "card.add", "phase_id": phase.id, "lane_id": lane.id,
                                      "title": "Van de facilitator"})
        s.commit()
    return sid, code, marker


def _close(app, sid, days_ago):
    with app.app_context():
        ws = database.session.get(WorkshopSession, sid)
        ws.status = "closed"
        ws.closed_at = utcnow() - timedelta(days=days_ago)
        database.session.commit()


def _all_text(app) -> str:
    """Every text and JSON value in every table, as one string."""
    parts = []
    with app.app_context():
        conn = database.session.connection()
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (String, Text)) or c.type.__class__.__name__ == "JSON"]
            if not cols:
                continue
            for row in conn.execute(select(*cols)):
                parts.extend(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
                             for v in row if v is not None)
        database.session.rollback()
    return "\n".join(parts)


def test_names_are_anonymised_after_the_retention_period(app, client, facilitator, make_session):
    old, _, old_marker = _session_with_names(app, client, facilitator, make_session)
    recent, _, recent_marker = _session_with_names(app, client, facilitator, make_session)
    open_, _, open_marker = _session_with_names(app, client, facilitator, make_session)
    _close(app, old, days_ago=91)
    _close(app, recent, days_ago=89)
    res = app.test_cli_runner().invoke(args=["privacy", "anonymise-expired"])
    assert res.exit_code == 0, res.output
    assert "anonymised 2 participants in 1 sessions" in res.output

    stored = _all_text(app)
    assert old_marker not in stored.replace(f"Sessie {old_marker}", "")  # the title is not personal data
    assert recent_marker in stored.replace(f"Sessie {recent_marker}", "") and open_marker in stored
    with app.app_context():
        s = database.session
        names = s.scalars(select(Participant.display_name).where(Participant.session_id == old)
                          .order_by(Participant.id)).all()
        assert names == ["Deelnemer 1", "Deelnemer 2"]
        authors = s.scalars(select(Card.author_name).where(Card.session_id == old).order_by(Card.id)).all()
        assert authors == ["Deelnemer 1", "Deelnemer 2", "Fien Facilitator"]
        assert s.get(WorkshopSession, old).participants_anonymised_at is not None
        assert s.get(WorkshopSession, recent).participants_anonymised_at is None
    # what the facilitator sees afterwards: board, CSV and the JSON API
    login(client)
    board = client.get(f"/s/{old}").get_data(as_text=True)
    assert "Deelnemer 1" in board and old_marker not in board.replace(f"Sessie {old_marker}", "")
    csv_text = client.get(f"/s/{old}/export.csv").data.decode("utf-8-sig")
    assert old_marker not in csv_text.replace(f"Sessie {old_marker}", "")
    # idempotent: a second run changes nothing
    res = app.test_cli_runner().invoke(args=["privacy", "anonymise-expired"])
    assert "anonymised 0 participants in 0 sessions" in res.output


def test_retention_days_option_and_dry_run(app, client, facilitator, make_session):
    sid, _, marker = _session_with_names(app, client, facilitator, make_session)
    _close(app, sid, days_ago=10)
    res = app.test_cli_runner().invoke(args=["privacy", "anonymise-expired", "--days", "7", "--dry-run"])
    assert res.exit_code == 0 and f"{sid}\t" in res.output
    assert marker in _all_text(app).replace(f"Sessie {marker}", "")
    res = app.test_cli_runner().invoke(args=["privacy", "anonymise-expired", "--days", "7"])
    assert "anonymised 2 participants in 1 sessions" in res.output
    assert marker not in _all_text(app).replace(f"Sessie {marker}", "")


def test_deleting_a_session_leaves_nothing_of_it_in_any_table(app, client, facilitator, make_session):
    keep, _, keep_marker = _session_with_names(app, client, facilitator, make_session)
    sid, _, marker = _session_with_names(app, client, facilitator, make_session)
    with app.app_context():
        s = database.session
        s.execute(text("SELECT 1"))
        rows_before = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        assert s.scalar(select(func.count(BoardEvent.id)).where(BoardEvent.session_id == sid)) > 0
    login(client)
    res = client.post(f"/sessions/{sid}/delete")
    assert res.status_code == 302
    stored = _all_text(app)
    assert marker not in stored  # no title, name, card or log entry of it anywhere
    assert keep_marker in stored
    with app.app_context():
        s = database.session
        for table in Base.metadata.sorted_tables:
            if "session_id" in table.columns:
                left = s.scalar(select(func.count()).select_from(table).where(table.c.session_id == sid))
                assert left == 0, table.name
        # votes hang off cards and participants: none may point to a missing one
        insp = inspect(s.connection())
        assert "vote" in insp.get_table_names()
        orphans = s.execute(text("SELECT count(*) FROM vote v LEFT JOIN card c ON c.id = v.card_id "
                                 "LEFT JOIN participant p ON p.id = v.participant_id "
                                 "WHERE c.id IS NULL OR p.id IS NULL")).scalar()
        assert orphans == 0
        rows_after = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    shrunk = {name for name in rows_before if rows_after[name] < rows_before[name]}
    assert {"workshop_session", "participant", "card", "board_event", "vote", "vote_round", "phase",
            "lane"} <= shrunk


def test_only_the_owner_can_delete(app, client, facilitator, make_facilitator, make_session):
    sid, _, marker = _session_with_names(app, client, facilitator, make_session)
    make_facilitator("b@gemeente.nl", "Bert")
    other = app.test_client()
    login(other, "b@gemeente.nl")
    assert other.post(f"/sessions/{sid}/delete").status_code == 404
    assert marker in _all_text(app)


def test_anonymous_exports_leave_out_every_name(app, client, facilitator, make_session):
    from workshop.export.csv_export import cards_csv
    from workshop.export.pdf import render_pdf
    from workshop.export.report import build_report

    sid, _, marker = _session_with_names(app, client, facilitator, make_session)
    with app.app_context():
        ws = database.session.get(WorkshopSession, sid)
        named = build_report(database.session, ws, anonymous=False)
        anon = build_report(database.session, ws, anonymous=True)
    assert marker in json.dumps(named["participants"])
    assert anon["participants"] is None and anon["participant_count"] == 2
    assert all(c["author"] is None for c in anon["cards"])
    rows = list(csv.reader(io.StringIO(cards_csv(anon).decode("utf-8-sig")), delimiter=";"))
    assert "Auteur" not in rows[0]
    assert "Piet Jansen" not in "\n".join(";".join(r) for r in rows)
    assert "Idee nummer" in "".join(r[5] for r in rows[1:])  # the cards themselves are kept (column Titel)
    from pypdf import PdfReader

    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(anon))).pages)
    assert "Idee nummer" in pdf_text
    for name in ("Piet Jansen", "Els de Vries"):
        assert name not in pdf_text
    # the session's own "hide names" setting makes the downloads anonymous too
    with app.app_context():
        apply_operation(database.session, sid, facilitator_actor(facilitator),
                        {"type": "session.settings", "anonymous": True})
        database.session.commit()
    login(client)
    csv_text = client.get(f"/s/{sid}/export.csv").data.decode("utf-8-sig")
    assert "Auteur" not in csv_text.splitlines()[0]
    doc = client.get(f"/s/{sid}/export.json").get_json()
    assert all(p["name"] is None for p in doc["participants"])
