"""The report read back as a reader (and an archive) gets it: sheets, totals, ranks, contrast, language, PDF/A."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from pypdf import PdfReader
from sqlalchemy import select

from conftest import facilitator_actor
from workshop.board import apply_operation
from workshop.board.actor import Actor
from workshop.export.csv_export import cards_csv
from workshop.export.pdf import HYPHENATOR, MIN_SIZE, render_pdf, wrap
from workshop.export.summary import ranked
from workshop.export.report import build_report
from workshop.models import Card, Lane, WorkshopSession
from workshop.sessions import join_session

ROOT = Path(__file__).resolve().parent.parent
GRID = ("Klantreis", "Customer journey")


def grid_pages(trace):
    return [p for p in trace if p["section"].startswith(GRID)]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def formula_session(db_session, facilitator, make_session):
    def make(formula):
        session_id, _code = make_session(facilitator, formula=formula, with_cards=True)
        return db_session.get(WorkshopSession, session_id)
    return make


@pytest.mark.parametrize("formula, most", [("ontwerp", 2), ("toezicht", 1)])
def test_formula_grid_fits_its_a3_sheets_and_every_sheet_has_every_lane(db_session, formula_session, formula, most):
    ws = formula_session(formula)
    report = build_report(db_session, ws)
    assert len(report["cards"]) > 10
    trace: list = []
    render_pdf(report, trace=trace)
    sheets = grid_pages(trace)
    assert 1 <= len(sheets) <= most
    lane_ids = {lane["id"] for lane in report["lanes"]}
    drawn = set()
    for page in sheets:
        assert {b["ref"] for b in page["boxes"] if b["kind"] == "lane"} == lane_ids, page["section"]
        drawn |= {b["ref"] for b in page["boxes"] if b["kind"] == "card"}
    assert drawn == {c["id"] for c in report["cards"]}
    for page in trace:
        for t in page["texts"]:
            assert t["size"] >= MIN_SIZE - 0.01, t


def test_large_board_every_grid_sheet_has_every_lane(db_session, facilitator):
    from workshop.cloning import create_session_from_document
    from workshop.export.sample import large_document
    from workshop.models import Channel

    channels = list(db_session.scalars(select(Channel.slug)))
    ws = create_session_from_document(db_session, large_document(channels), facilitator_id=facilitator,
                                      join_code="LARGE2")
    db_session.commit()
    report = build_report(db_session, ws)
    for size in ("A3", "A4"):
        trace: list = []
        render_pdf(report, pagesize=size, trace=trace)
        sheets = grid_pages(trace)
        assert len(sheets) > 1
        for page in sheets:
            assert {b["ref"] for b in page["boxes"] if b["kind"] == "lane"} == {lane["id"] for lane in report["lanes"]}


def _vote(db, ws, fac, lane, ballots):
    apply_operation(db, ws.id, fac, {"type": "vote.open", "lane_id": lane.id, "votes_per_participant": 3})
    for participant, card_ids in ballots:
        for card_id in card_ids:
            apply_operation(db, ws.id, Actor("participant", participant.id, participant.display_name),
                            {"type": "vote.cast", "card_id": card_id})
    apply_operation(db, ws.id, fac, {"type": "vote.reveal"})
    apply_operation(db, ws.id, fac, {"type": "vote.close"})
    db.commit()


def two_rounds(db_session, facilitator, formula_session):
    """Two closed vote rounds on the innovations lane; returns the session, the lane and its first three cards."""
    ws = formula_session("ontwerp")
    fac = facilitator_actor(facilitator)
    lane = db_session.scalars(select(Lane).where(Lane.session_id == ws.id, Lane.kind == "innovations")).one()
    a, b, c = db_session.scalars(select(Card.id).where(Card.lane_id == lane.id).order_by(Card.id).limit(3)).all()
    anna, _t = join_session(db_session, ws, "Anna")
    bram, _t = join_session(db_session, ws, "Bram")
    db_session.commit()
    _vote(db_session, ws, fac, lane, [(anna, [a, a, b]), (bram, [a, c])])  # a 3, b 1, c 1
    _vote(db_session, ws, fac, lane, [(anna, [b, c]), (bram, [b])])  # a 0, b 2, c 1
    db_session.expire_all()
    return ws, lane, (a, b, c)


def test_two_rounds_on_one_lane_give_the_boards_totals(db_session, facilitator, formula_session):
    ws, lane, (a, b, c) = two_rounds(db_session, facilitator, formula_session)
    board = {card.id: card.votes for card in db_session.scalars(select(Card).where(Card.session_id == ws.id))}
    assert (board[a], board[b], board[c]) == (0, 2, 1)
    report = build_report(db_session, ws)
    assert {x["id"]: x["votes"] for x in report["cards"]} == board
    first, second = report["vote_rounds"]
    assert (first["votes_cast"], first["voters"], second["votes_cast"], second["voters"]) == (5, 2, 3, 2)
    assert first["lane_name"] == second["lane_name"] == lane.name
    by_id = {x["id"]: x for x in report["cards"]}
    assert by_id[a]["round_votes"] == {str(first["id"]): 3}
    assert by_id[b]["round_votes"] == {str(first["id"]): 1, str(second["id"]): 2}
    # the CSV says the same
    table = [r.split(";") for r in cards_csv(report).decode("utf-8-sig").split("\r\n") if r]
    col = {h: i for i, h in enumerate(table[0])}
    totals = {int(r[0]): int(r[col["Stemmen totaal"]]) for r in table[1:]}
    assert totals == board
    per_round = {int(r[0]): (r[col[f"Stemmen ronde 1 ({lane.name})"]], r[col[f"Stemmen ronde 2 ({lane.name})"]])
                 for r in table[1:]}
    assert per_round[a] == ("3", "0") and per_round[b] == ("1", "2")
    # and the PDF: both rounds described, b ranked first with 2, a not ranked at all
    trace: list = []
    data = render_pdf(report, trace=trace)
    ranking = next(p for p in trace if p["section"].startswith("Innovaties op volgorde"))
    lines = " ".join(t["text"] for t in ranking["texts"])
    assert "Stemrondes" in lines and lines.count(lane.name) >= 2
    titles = {x["id"]: x["title"] for x in report["cards"]}
    assert "Er is niet gestemd." not in pdf_text(data)
    rows = [t["text"] for t in ranking["texts"]]
    assert titles[a] not in rows
    assert rows.index(titles[b]) < rows.index(titles[c])
    assert re.search(r"\b2 andere kaarten? kregen? geen stemmen|\d+ andere kaarten kregen geen stemmen", lines)


def test_competition_ranks_for_ties():
    cards = [{"id": n, "votes": v} for n, v in enumerate([1, 5, 3, 0, 3, 1], 1)]
    assert [(rank, c["votes"]) for rank, c in ranked(cards)] == [(1, 5), (2, 3), (2, 3), (4, 1), (4, 1)]


def test_ranking_page_prints_shared_ranks_and_only_voted_cards(db_session, formula_session):
    ws = formula_session("toezicht")
    report = build_report(db_session, ws)
    kinds = {lane["id"]: lane["kind"] for lane in report["lanes"]}
    innovations = [c for c in report["cards"] if kinds[c["lane_id"]] == "innovations"]
    for c, votes in zip(innovations, [4, 2, 2, 1]):
        c["votes"] = votes
    trace: list = []
    render_pdf(report, trace=trace)
    page = next(p for p in trace if p["section"].startswith("Innovaties op volgorde"))
    rank_x = min(t["x"] for t in page["texts"] if t["text"] == "Plaats")
    ranks = [t["text"] for t in sorted(page["texts"], key=lambda t: -t["y"])
             if abs(t["x"] - rank_x) < 1 and t["text"].isdigit()]
    assert ranks == ["1", "2", "2", "4"]
    rest = len(report["cards"]) - 4
    assert any(f"{rest} andere kaarten kregen geen stemmen." == t["text"] for t in page["texts"])


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_text_has_at_least_4_5_to_1_contrast_on_what_it_is_drawn_on(db_session, formula_session):
    ws = formula_session("ontwerp")
    report = build_report(db_session, ws)
    for c in report["cards"][:6]:
        c["votes"] = 3  # vote badges too
    checked = 0
    for size in ("A3", "A4"):
        trace: list = []
        render_pdf(report, pagesize=size, trace=trace)
        for page in trace:
            filled = [b for b in page["boxes"] if b["fill"] and b["w"] > 0 and b["h"] > 0]
            for t in page["texts"]:
                cx, cy = t["x"] + t["w"] / 2, t["y"] + t["size"] * 0.3
                under = [b for b in filled if b["z"] < t["z"] and b["x"] <= cx <= b["x"] + b["w"]
                         and b["y"] <= cy <= b["y"] + b["h"]]
                background = max(under, key=lambda b: b["z"])["fill"] if under else "#FFFFFF"
                assert contrast(t["colour"], background) >= 4.5, (t, background)
                checked += 1
    assert checked > 1000
    assert contrast("#FFFFFF", "#D9731E") < 4.5  # the old orange would fail: the check can fail


def test_pdf_is_pdf_a_2b_with_language_title_outline_and_embedded_fonts(db_session, formula_session):
    ws = formula_session("ontwerp")
    data = render_pdf(build_report(db_session, ws))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "nl-NL"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == f"Verslag: {ws.title}"
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1 and int(intent.DestOutputProfile.N) == 3
        assert len(intent.DestOutputProfile.read_bytes()) > 300
        fonts = 0
        for page in pdf.pages:
            for _name, font in page.Resources.get("/Font", {}).items():
                descriptor = font.get("/FontDescriptor")
                assert descriptor is not None and ("/FontFile2" in descriptor or "/FontFile3" in descriptor), font
                fonts += 1
        assert fonts
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
    assert titles == ["Voorblad en samenvatting", "Klantreis", "Innovaties op volgorde van stemmen",
                      "Per fase: huidig en gewenst", "Formuleplaat", "Agenda en deelnemers"]
    cover = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for title in titles[1:]:
        assert title in cover  # the contents list


def test_cover_contents_give_the_right_page_numbers(db_session, formula_session):
    ws = formula_session("ontwerp")
    trace: list = []
    render_pdf(build_report(db_session, ws), trace=trace)
    cover = trace[0]
    for section in ("Innovaties op volgorde van stemmen", "Formuleplaat"):
        entry = next(t for t in cover["texts"] if t["text"] == section)
        number = next(t for t in cover["texts"] if abs(t["y"] - entry["y"]) < 2 and t["text"].isdigit())
        assert trace[int(number["text"]) - 1]["section"] == section


def _report_msgids() -> set[str]:
    ids = set()
    for path in ("workshop/export/pdf.py", "workshop/export/summary.py", "workshop/export/csv_export.py"):
        for _line, message, _comments, _context in extract_from_file("python", ROOT / path):
            ids |= {message} if isinstance(message, str) else set(message)
    return ids


def test_english_report_has_no_dutch_label_left(db_session, formula_session):
    ws = formula_session("ontwerp")
    report = build_report(db_session, ws)
    # English user text too, so that any Dutch left must be a label
    for n, ph in enumerate(report["phases"], 1):
        ph.update(current_name=f"Today {n}", desired_name=f"Wish {n}", statement=f"I want {n}.")
    for n, lane in enumerate(report["lanes"], 1):
        lane["name"] = f"Lane {n}"
    for n, c in enumerate(report["cards"], 1):
        c.update(title=f"Card {n}", statement=f"I see {n}.", votes=n % 3, library_entry=None)
    report["plate"] = {"guarantees": {"Experience": ["We listen."]}, "agreements": {"Processes": ["We plan."]}}
    report["formula"].update(name="Design formula", tagline="Relevant", core_values=["Together"],
                             customer_role="customer", description="A formula.", personas=[])
    report["session"].update(title="Permit", municipality="Town", product="Permit")
    report["agenda"] = [{"name": "Today", "duration_seconds": 1800, "instructions": "Map it.", "status": "done"}]
    english = pdf_text(render_pdf(report, lang="en")) + cards_csv(report, lang="en").decode("utf-8-sig")
    dutch = pdf_text(render_pdf(report, lang="nl"))
    with open(ROOT / "workshop/translations/nl/LC_MESSAGES/messages.po", "rb") as fh:
        catalogue = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(fh) if m.id}
    wanted = _report_msgids()
    checked = 0
    for msgid in wanted:
        nl = catalogue.get(msgid)
        nl = nl if isinstance(nl, str) else (nl or ("",))[0]
        words = [w for w in re.split(r"%\(\w+\)s", nl or "") if len(w.strip(" .:·()–")) >= 4]
        for piece in words:
            piece = piece.strip()
            if piece and piece != msgid and piece not in msgid:
                assert piece not in english, (msgid, piece)
                checked += 1
    assert checked > 40
    assert "Pagina 1 van" in dutch and "Page 1 of" in english and "Stemmen totaal" not in english


def test_long_dutch_words_break_at_syllables_with_a_hyphen():
    from workshop.export.fonts import BOLD, register_fonts

    register_fonts()
    word = "Dienstverleningspakket"
    lines = wrap(word, BOLD, 8.0, 50.0)
    assert len(lines) > 1
    assert all(line.endswith("\u00ad") for line in lines[:-1])  # a soft hyphen, drawn as a hyphen
    assert "".join(line[:-1] for line in lines[:-1]) + lines[-1] == word
    cuts, at = [], 0
    for line in lines[:-1]:
        at += len(line) - 1
        cuts.append(at)
    assert set(cuts) <= set(HYPHENATOR.positions(word))


def test_downloads_follow_the_interface_language(app, client, facilitator, make_session, tmp_path):
    from conftest import login

    # no db_session here: a test-wide app context would keep the first request's locale
    sid, _code = make_session(facilitator, formula="toezicht", with_cards=True)
    login(client)
    nl = client.get(f"/s/{sid}/export.pdf")
    en = client.get(f"/s/{sid}/export.pdf?lang=en")
    assert "Pagina 1 van" in pdf_text(nl.data) and "Page 1 of" in pdf_text(en.data)
    with pikepdf.open(io.BytesIO(en.data)) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
    assert client.get(f"/s/{sid}/export.csv?lang=en").data.decode("utf-8-sig").startswith("Card id;")
    out = tmp_path / "r.pdf"
    result = app.test_cli_runner().invoke(args=["export", "pdf", str(sid), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Page 1 of" in pdf_text(out.read_bytes())


def test_tagged_pdf_reads_in_structure_order(db_session, formula_session, tmp_path):
    """poppler reads the structure tree: headings, the grid as a table with header cells, cards as lists."""
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils not installed")
    ws = formula_session("ontwerp")
    report = build_report(db_session, ws)
    path = tmp_path / "r.pdf"
    path.write_bytes(render_pdf(report))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info)
    tree = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True,
                          check=True).stdout
    lines = [line.strip() for line in tree.splitlines()]
    roles = {line.split(" ")[0] for line in lines if line and not line.startswith('"')}
    assert {"Document", "Sect", "H1", "H2", "P", "Table", "TR", "TH", "TD", "L", "LI", "TOC", "TOCI"} <= roles
    text = [line.strip('"') for line in lines if line.startswith('"')]
    # reading order: the sections in the order of the report
    order = [text.index(t) for t in ("Klantreis", "Innovaties op volgorde van stemmen", "Per fase: huidig en gewenst",
                                     "Formuleplaat: Ontwerpformule", "Agenda")]
    assert order == sorted(order)
    # phases are the header cells of the grid, lanes the header cells of its rows
    for n, ph in enumerate(report["phases"], 1):
        i = lines.index(f'"{n} {ph["desired_name"] or ph["current_name"]}"')
        assert lines[i - 1] == "TH"
    for lane in report["lanes"]:
        i = lines.index(f'"{lane["name"]}"')
        assert lines[i - 1] == "TH"
    # a card is a list item of its cell: its title and statement, read as one
    card = next(c for c in report["cards"] if c["statement"] and len(c["title"]) < 14)
    i = next(i for i, line in enumerate(lines) if line.startswith(f'"{card["title"]} '))
    assert lines[i - 1].startswith("LI") and card["statement"].split()[0] in lines[i]
    # running headers and footers are artifacts: not in the tree
    assert not any(t.startswith("Pagina ") for t in text)


def test_twelve_long_lanes_still_render_every_card():
    """When the lanes alone overfill a sheet, sheets show groups of lanes rather than failing."""
    phases = [{"id": i, "current_name": f"Nu {i}", "desired_name": f"Fase {i}", "statement": "Ik wil " * 40}
              for i in range(1, 9)]
    lanes = [{"id": 100 + j, "kind": "custom", "name": f"Baan {j} met een heel lange naam voor een smalle kolom"}
             for j in range(12)]
    cards = [{"id": n, "phase_id": 1 + n % 8, "lane_id": 100 + n % 12, "title": f"Kaart {n}",
              "statement": "woord " * 80, "channels": ["Telefoon"], "votes": 0, "round_votes": {}, "author": None,
              "library_entry": None} for n in range(1, 61)]
    report = {"generated_at": "2026-11-12T10:00:00+00:00", "anonymous": True,
              "session": {"id": 1, "title": "Veel banen", "municipality": "", "product": "", "status": "open",
                          "tagline": "", "personas": [], "session_date": "2026-11-12", "created_at": None},
              "formula": None, "facilitator": "", "phases": phases, "lanes": lanes, "cards": cards,
              "plate": {"guarantees": {}, "agreements": {}}, "agenda": [], "vote_rounds": [],
              "participant_count": 0, "participants": None}
    trace: list = []
    render_pdf(report, pagesize="A4", trace=trace)
    drawn = {b["ref"] for p in grid_pages(trace) for b in p["boxes"] if b["kind"] == "card"}
    assert drawn == {c["id"] for c in cards}
    assert {b["ref"] for p in grid_pages(trace) for b in p["boxes"] if b["kind"] == "lane"} == {x["id"] for x in lanes}
    assert any(len({b["ref"] for b in p["boxes"] if b["kind"] == "lane"}) < 12 for p in grid_pages(trace))  # groups
    for page in grid_pages(trace):  # and nothing runs off the sheet
        assert all(b["y"] >= 0 and b["y"] + b["h"] <= page["height"] for b in page["boxes"])


def test_the_report_survives_json_and_the_child_process_draws_the_same_pdf(db_session, facilitator,
                                                                           formula_session):
    """Production (gevent) renders the PDF in a child process that gets the report as JSON
    (web/exports.py → export/render_process.py): it must print the same "Per round" results."""
    import json
    import subprocess
    import sys

    ws, _lane, _cards = two_rounds(db_session, facilitator, formula_session)
    report = build_report(db_session, ws)
    assert json.loads(json.dumps(report)) == report
    direct = render_pdf(report, pagesize="A3", lang="nl")
    done = subprocess.run([sys.executable, "-m", "workshop.export.render_process", "A3", "nl"],
                          input=json.dumps(report).encode(), capture_output=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    text = pdf_text(done.stdout)
    assert text == pdf_text(direct)
    assert re.search(r"R1: 1\s+R2: 2", text)  # card b's "Per round" cell
