"""CSV of all cards for a Dutch spreadsheet: BOM, ';', CRLF, and no formulas smuggled into cells."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from conftest import join, login
from workshop.export.csv_export import cards_csv, neutralise
from workshop.export.report import build_report
from workshop.models import Card, WorkshopSession

HOSTILE = ["=HYPERLINK(\"http://x\";\"klik\")", "+31 6 1234", "-2+3", "@SUM(A1:A2)", "\tverborgen", "\rterug"]


@pytest.fixture
def ws(app, db_session, facilitator, make_session):
    session_id, _code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    ws = db_session.get(WorkshopSession, session_id)
    cards = db_session.scalars(select(Card).where(Card.session_id == ws.id).order_by(Card.id)).all()
    for card, title in zip(cards, HOSTILE):
        card.title = title
        card.author_name = "Anna Ëlberg"
    cards[len(HOSTILE)].statement = "Ik betaal € 12; daarna – klaar.\nTweede regel"
    cards[len(HOSTILE)].votes = 4
    db_session.commit()
    return ws


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert text.endswith("\r\n") and text.count("\r\n") >= len(table)  # every record ends in CRLF
    return table


def test_csv_for_dutch_excel(db_session, ws):
    report = build_report(db_session, ws)
    table = rows(cards_csv(report))
    header, body = table[0], table[1:]
    assert header == ["Fase nr.", "Fase (huidig)", "Fase (gewenst)", "Baan", "Titel", "Uitspraak", "Kanalen",
                      "Stemmen", "Auteur"]
    assert len(body) == len(report["cards"])
    titles = {r[4] for r in body}
    for t in HOSTILE:
        assert "'" + t in titles
        assert t not in titles
    money = next(r for r in body if r[5].startswith("Ik betaal"))
    assert money[5] == "Ik betaal € 12; daarna – klaar.\nTweede regel" and money[7] == "4"
    assert any(r[8] == "Anna Ëlberg" for r in body)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in table for cell in r)


def test_anonymous_csv_has_no_authors(db_session, ws):
    table = rows(cards_csv(build_report(db_session, ws, anonymous=True)))
    assert "Auteur" not in table[0]
    assert not any("Anna" in cell for r in table for cell in r)


def test_neutralise():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("Gewoon") == "Gewoon"
    assert neutralise(None) == ""
    assert neutralise(3) == "3"


def test_csv_route_and_cli(app, client, ws, tmp_path):
    participant = app.test_client()
    join(participant, ws.join_code)
    assert participant.get(f"/s/{ws.id}/export.csv").status_code == 403
    assert app.test_client().get(f"/s/{ws.id}/export.csv").status_code in (302, 404)
    login(client)
    res = client.get(f"/s/{ws.id}/export.csv")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert res.headers["Content-Disposition"].endswith('.csv"')
    assert rows(res.data)[0][0] == "Fase nr."
    out = tmp_path / "c.csv"
    result = app.test_cli_runner().invoke(args=["export", "csv", str(ws.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == res.data
