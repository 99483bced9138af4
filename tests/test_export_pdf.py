"""The PDF report: every phase, lane and card is in it, and on a large board nothing is cut, shrunk or overlapping."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from conftest import join, login
from workshop.cloning import create_session_from_document
from workshop.export.pdf import MIN_SIZE, render_pdf
from workshop.export.report import build_report
from workshop.export.sample import large_document
from workshop.models import Card, Channel, WorkshopSession

ASCENT, DESCENT = 0.93, 0.24  # DejaVu: generous bounds of a glyph around its baseline, per point of size
EPS = 0.01


def squash(text: str) -> str:
    """Text without white space and hyphens: a word broken at a hyphenation point still matches."""
    return re.sub(r"[\s\u00ad-]+", "", text or "")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def ontwerp(app, db_session, facilitator, make_session):
    session_id, _code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    return db_session.get(WorkshopSession, session_id)


@pytest.fixture
def large(db_session, facilitator):
    channels = list(db_session.scalars(select(Channel.slug)))
    ws = create_session_from_document(db_session, large_document(channels), facilitator_id=facilitator,
                                      join_code="LARGE1")
    db_session.commit()
    return ws


def test_report_names_every_phase_lane_and_card(db_session, ontwerp):
    report = build_report(db_session, ontwerp)
    assert len(report["cards"]) > 20
    text = squash(pdf_text(render_pdf(report)))
    for phase in report["phases"]:
        assert squash(phase["desired_name"]) in text
        if phase["current_name"]:
            assert squash(phase["current_name"]) in text
    for lane in report["lanes"]:
        assert squash(lane["name"]) in text
    for card in report["cards"]:
        assert squash(card["title"]) in text, card["title"]
    for heading in ("Beleving", "Toegang", "Service", "Assortiment", "Prijs", "HRMenBesturing", "Processen",
                    "Informatisering", "Financiën"):
        assert heading in text


def test_every_page_has_its_number_and_date(db_session, ontwerp):
    data = render_pdf(build_report(db_session, ontwerp), pagesize="A4")
    pages = PdfReader(io.BytesIO(data)).pages
    assert pages[0].mediabox.width > pages[0].mediabox.height  # landscape
    assert round(float(pages[0].mediabox.width)) == 842  # A4
    for n, page in enumerate(pages, 1):
        text = page.extract_text()
        assert f"Pagina {n} van {len(pages)}" in text
        assert re.search(r"\d{1,2} \w+ 20\d\d", text)


def test_user_text_prints_literally_with_dutch_characters(db_session, ontwerp):
    card = db_session.scalars(select(Card).where(Card.session_id == ontwerp.id)).first()
    card.title = "<b>vet?</b> & <script>alert(1)</script>"
    card.statement = "Ik betaal € 12,50 – één keer, dat is ideeën’s werk"
    db_session.commit()
    text = pdf_text(render_pdf(build_report(db_session, ontwerp)))
    assert squash("<b>vet?</b> & <script>alert(1)</script>") in squash(text)  # a narrow card wraps it
    assert squash("€ 12,50 – één keer, dat is ideeën’s werk") in squash(text)


def test_anonymous_report_shows_only_the_number_of_participants(app, client, db_session, ontwerp):
    join(client, ontwerp.join_code, "Piet Geheim")
    db_session.expire_all()
    text = pdf_text(render_pdf(build_report(db_session, ontwerp, anonymous=True)))
    assert "Piet Geheim" not in text
    assert "1 deelnemer" in text
    assert "Piet Geheim" in pdf_text(render_pdf(build_report(db_session, ontwerp, anonymous=False)))


@pytest.mark.parametrize("size", ["A3", "A4"])
def test_large_board_nothing_cut_off_shrunk_or_overlapping(db_session, large, size):
    report = build_report(db_session, large)
    assert len(report["phases"]) == 15 and len(report["cards"]) == 300
    trace: list = []
    data = render_pdf(report, pagesize=size, trace=trace)
    assert len(PdfReader(io.BytesIO(data)).pages) == len(trace)
    drawn: dict[int, str] = {}
    grid_pages = 0
    for page in trace:
        W, H = page["width"], page["height"]
        boxes = page["boxes"]
        for t in page["texts"]:
            assert t["size"] >= MIN_SIZE - EPS, t
            top, bottom = t["y"] + ASCENT * t["size"], t["y"] - DESCENT * t["size"]
            assert t["x"] >= -EPS and t["x"] + t["w"] <= W + EPS and bottom >= -EPS and top <= H + EPS, t
            if t["box"] is not None:
                b = boxes[t["box"]]
                assert b["x"] - EPS <= t["x"] and t["x"] + t["w"] <= b["x"] + b["w"] + EPS, (t, b)
                assert b["y"] - EPS <= bottom and top <= b["y"] + b["h"] + EPS, (t, b)
                if b["kind"] == "card":
                    drawn[b["ref"]] = drawn.get(b["ref"], "") + t["text"]
        cards = [b for b in boxes if b["kind"] == "card"]
        grid_pages += bool(cards)
        for b in cards:
            assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["w"] <= W and b["y"] + b["h"] <= H
        cards.sort(key=lambda b: (b["x"], b["y"]))
        for i, a in enumerate(cards):
            for b in cards[i + 1:]:
                if b["x"] >= a["x"] + a["w"] - EPS:
                    break
                overlap = (min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > EPS and
                           min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > EPS)
                assert not overlap, (a, b)
    assert grid_pages > 1  # the grid continued onto next pages
    # every card is drawn whole, once: all of its title and statement inside its own box
    assert set(drawn) == {c["id"] for c in report["cards"]}
    for c in report["cards"]:
        assert squash(drawn[c["id"]]).startswith(squash(c["title"]) + squash(c["statement"])), c["id"]
    text = squash(pdf_text(data))
    for c in report["cards"]:
        assert squash(c["title"]) in text
    for p in report["phases"]:
        assert squash(p["desired_name"]) in text


def test_pdf_route_for_the_facilitator_only(app, client, db_session, facilitator, ontwerp):
    anonymous_visitor = app.test_client()
    assert anonymous_visitor.get(f"/s/{ontwerp.id}/export.pdf").status_code in (302, 404)
    participant = app.test_client()
    join(participant, ontwerp.join_code)
    assert participant.get(f"/s/{ontwerp.id}/export.pdf").status_code == 403
    login(client)
    res = client.get(f"/s/{ontwerp.id}/export.pdf")
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert res.data.startswith(b"%PDF")
    assert "attachment" in res.headers["Content-Disposition"]
    a4 = client.get(f"/s/{ontwerp.id}/export.pdf?size=a4")
    assert round(float(PdfReader(io.BytesIO(a4.data)).pages[0].mediabox.width)) == 842
    assert client.get("/s/99999/export.pdf").status_code == 404


def test_cli_writes_the_pdf(app, ontwerp, tmp_path):
    out = tmp_path / "r.pdf"
    result = app.test_cli_runner().invoke(args=["export", "pdf", str(ontwerp.id), "-o", str(out), "--a4"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_blank_session_and_unbreakable_words_render(db_session, facilitator, make_session):
    session_id, _code = make_session(facilitator, title="Leeg bord")
    ws = db_session.get(WorkshopSession, session_id)
    report = build_report(db_session, ws)
    assert report["phases"] == [] and report["formula"] is None
    assert "Leeg bord" in pdf_text(render_pdf(report))
    report["phases"] = [{"id": 1, "current_name": None, "desired_name": "x" * 120, "statement": "y" * 300}]
    report["cards"] = [{"id": 1, "phase_id": 1, "lane_id": report["lanes"][0]["id"], "title": "Z" * 200,
                        "statement": "W" * 500, "channels": [], "votes": 3, "author": None}]
    trace: list = []
    text = squash(pdf_text(render_pdf(report, pagesize="A4", trace=trace)))
    assert "Z" * 200 in text and "W" * 500 in text  # broken over lines, never cut off
    for page in trace:
        for t in page["texts"]:
            if t["box"] is not None:
                b = page["boxes"][t["box"]]
                assert b["x"] - EPS <= t["x"] and t["x"] + t["w"] <= b["x"] + b["w"] + EPS
