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
    col = {name: i for i, name in enumerate(header)}
    assert header[:8] == ["Kaartnummer", "Fasenummer", "Fase (huidig)", "Fase (gewenst)", "Rij op het bord", "Titel",
                          "Uitspraak", "Kanalen"]
    assert "Baan" not in header and header[-2:] == ["Stemmen totaal", "Auteur"]
    assert len(body) == len(report["cards"])
    assert {int(r[0]) for r in body} == {c["id"] for c in report["cards"]}
    titles = {r[col["Titel"]] for r in body}
    for t in HOSTILE:
        assert "'" + t in titles
        assert t not in titles
    money = next(r for r in body if r[col["Uitspraak"]].startswith("Ik betaal"))
    assert money[col["Uitspraak"]] == "Ik betaal € 12; daarna – klaar.\nTweede regel"
    assert money[col["Stemmen totaal"]] == "4"
    assert any(r[col["Auteur"]] == "Anna Ëlberg" for r in body)
    # one column per channel used, marked on the cards that use it, beside the joined list
    by_id = {c["id"]: c for c in report["cards"]}
    channel_cols = [h for h in header if h.startswith("Kanaal: ")]
    assert channel_cols
    for r in body:
        card = by_id[int(r[0])]
        assert r[col["Kanalen"]] == ", ".join(card["channels"])
        assert {h[len("Kanaal: "):] for h in channel_cols if r[col[h]] == "ja"} == set(card["channels"])
        assert r[col["Herkomst"]] in ("Eigen kaart", f"Bibliotheek: {card['library_entry']}")
    assert any(r[col["Herkomst"]].startswith("Bibliotheek: ") for r in body)  # the formula's cards
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
    assert rows(res.data)[0][0] == "Kaartnummer"
    out = tmp_path / "c.csv"
    result = app.test_cli_runner().invoke(args=["export", "csv", str(ws.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == res.data
