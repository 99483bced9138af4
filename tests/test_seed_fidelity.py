"""Each formula template carries its own formula's text, exactly as the VNG source prints it.

The source is the verbatim copy of 003 (and of 001's journey) in tests/data/; ``seed_003`` reads
its grids by the rules of seed/README.md. Every card of every formula template is compared with its
formula's section: title, every sentence of the statement, and the channels of that cell only.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

import seed_003
from conftest import login
from workshop.models import Formula, LibraryEntry, Template

DATA = Path(__file__).resolve().parent / "data"

# seed/README.md, "Toezicht grid": in the Interesse column the extraction put the text of
# "Leg de regels uit" and "Host" out of order; each takes the run of that column that it matches.
REREAD = {("toezicht", "Leg de regels uit"), ("toezicht", "Host")}

SNELSERVICE_STEPS = ["Oriëntatie", "Aanvraag op maat", "Behandeling", "Definitieve toekenning"]


def _template(db, slug) -> dict:
    return db.scalars(select(Template).join(Formula, Template.formula_id == Formula.id)
                      .where(Formula.slug == slug, Template.kind == "formula")).one().document


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("slug", seed_003.FORMULAS_WITH_GRID)
def test_every_card_is_verbatim_from_its_formulas_grid(db_session, slug):
    doc = _template(db_session, slug)
    cards = doc["cards"]
    assert cards, slug
    source = seed_003.flat(seed_003.section(slug))
    readings = seed_003.blocks(slug, [c["title"] for c in cards])
    wrong = []
    for card in cards:
        title, statement, channels = card["title"], _norm(card["statement"]), card["channels"]
        assert re.search(r"(?<!\S)" + re.escape(title) + r"(?!\S)", source), (slug, title)
        for sentence in seed_003.sentences(statement):
            assert sentence in source, (slug, title, sentence)
        if (slug, title) in REREAD:
            candidates = [(ch, st) for r in readings[title] for ch, st in r["units"]]
        else:
            candidates = [(r["channels"], r["statement"]) for r in readings[title]]
        if (channels, statement) not in candidates:
            wrong.append((title, channels, statement, candidates))
    assert not wrong, f"{slug}: {len(wrong)} of {len(cards)} cards differ from the grid: {wrong}"


def test_formulas_without_a_grid_get_no_cards(db_session):
    """003 prints no Snelservice grid, and no seed gives Beheer one: nothing is invented."""
    assert "Dienstinnovaties & klantinteracties\t" not in seed_003.section("snelservice")
    for slug in ("snelservice", "beheer"):
        assert _template(db_session, slug)["cards"] == []
    assert _template(db_session, "beheer")["phases"] == []
    assert [lane["kind"] for lane in _template(db_session, "beheer")["lanes"]] == [
        "current", "desired", "innovations", "backoffice"]


def test_the_cards_the_issue_names(db_session):
    toezicht = {c["title"]: c for c in _template(db_session, "toezicht")["cards"]}
    assert toezicht["Multimachtiging"]["statement"] == "Ik ontvang automatisch het besluit."
    assert toezicht["Stip op de kaart"]["statement"] == "Ik klik op de kaart."
    assert "Belanghebbende certificaat" in toezicht and "Belanghebbenden certificaat" not in toezicht
    assert toezicht["Belanghebbende certificaat"]["statement"] == "Ik neem contact op met de initiatiefnemer."
    assert "Verminderen regels" in toezicht
    assert toezicht["Host"]["channels"] == ["persoonlijk", "website-dso"]
    ontwikkel = {c["title"]: c for c in _template(db_session, "ontwikkel")["cards"]}
    assert "Verminderen regels" in ontwikkel and "Kortingsregeling" in ontwikkel
    assert ontwikkel["Organiseer de keten"]["statement"] == "" and ontwikkel["Organiseer de keten"]["channels"] == []
    assert ontwikkel["Webshop betaling"]["statement"] == ("Ik zie een kostenoverzicht in de aanvraag. "
                                                          "Ik betaal direct via iDEAL.")
    assert "beslissboom" in ontwikkel["Toepasbare regels"]["statement"]
    assert ontwikkel["Leg het proces uit"]["statement"].count("duidelijke informatie.") == 4
    # the library link keeps the canonical name, the card the grid's spelling
    ontwerp = {c["title"]: c for c in _template(db_session, "ontwerp")["cards"]}
    assert ontwerp["Vermindere regels"]["library_entry"] == "Verminderen regels"


def test_current_names_say_geen_only_where_the_source_does(db_session):
    assert [p["current_name"] for p in _template(db_session, "toezicht")["phases"]] == ["Geen"] * 6 + [
        "Kennismening besluit"]
    assert {p["current_name"] for p in _template(db_session, "ontwikkel")["phases"]} == {None}
    ontwerp = {p["desired_name"]: p["current_name"] for p in _template(db_session, "ontwerp")["phases"]}
    assert ontwerp["Afstemming"] == "Geen" and ontwerp["Continue innovaties"] is None
    assert ontwerp["Besluit"] == "Besluit"


def test_snelservice_journey_is_the_four_steps_of_001(db_session):
    source = (DATA / "seed_001_snelservice.txt").read_text(encoding="utf-8").replace("\xa0", " ")
    phases = _template(db_session, "snelservice")["phases"]
    assert [p["desired_name"] for p in phases] == SNELSERVICE_STEPS
    for n, p in enumerate(phases, 1):
        assert f" {n}. {p['desired_name']}: {p['statement']}" in source
        assert p["current_name"] is None
    snelservice = db_session.scalars(select(Formula).where(Formula.slug == "snelservice")).one()
    assert snelservice.former_core_values == {"Flitsformule": ["eenvoudig", "snel", "standaard", "direct duidelijk"]}


def test_templates_page_shows_the_snelservice_journey_and_says_beheer_has_none(client, facilitator):
    login(client)
    page = client.get("/templates").get_data(as_text=True)
    assert " · ".join(SNELSERVICE_STEPS) in page
    assert "de sjabloon begint met de vier banen" in page  # Beheer
    assert "eenvoudig, snel, standaard, direct duidelijk" in page


def _add_from_library(client, sid, name):
    snap = client.get(f"/api/sessions/{sid}").get_json()
    lane = next(lane for lane in snap["lanes"] if lane["kind"] == "innovations")
    entry = next(e for e in client.get(f"/api/library?session={sid}&q={name}").get_json()["entries"]
                 if e["name"] == name)
    res = client.post(f"/api/sessions/{sid}/operations", json={
        "type": "card.add", "phase_id": snap["phases"][0]["id"] if snap["phases"] else None,
        "lane_id": lane["id"], "library_entry_id": entry["id"]})
    return entry, res


def test_a_library_entry_dropped_on_a_toezicht_board_takes_the_toezicht_text(client, facilitator, make_session):
    login(client)
    sid, _code = make_session(facilitator, formula="toezicht")
    entry, res = _add_from_library(client, sid, "Multimachtiging")
    assert entry["card"] == {"title": "Multimachtiging", "statement": "Ik ontvang automatisch het besluit.",
                             "channels": ["website-dso"]}
    assert res.status_code == 200, res.get_json()
    card = res.get_json()["event"]["data"]["card"]
    assert (card["title"], card["statement"], card["channels"]) == (
        "Multimachtiging", "Ik ontvang automatisch het besluit.", ["website-dso"])
    assert {v["formula"] for v in entry["variants"]} == {"ontwikkel", "toezicht"}
    # the spelling follows the formula too
    _entry, res = _add_from_library(client, sid, "Belanghebbenden certificaat")
    assert res.get_json()["event"]["data"]["card"]["title"] == "Belanghebbende certificaat"


def test_a_board_without_formula_takes_the_canonical_text(client, facilitator, make_session, db_session):
    login(client)
    sid, _code = make_session(facilitator)
    res = client.post(f"/api/sessions/{sid}/operations", json={"type": "phase.add", "desired_name": "Fase"})
    assert res.status_code == 200, res.get_json()
    entry, res = _add_from_library(client, sid, "Verminderen regels")
    assert entry["card"]["title"] == "Verminderen regels"
    _entry, res = _add_from_library(client, sid, "Multimachtiging")
    card = res.get_json()["event"]["data"]["card"]
    # canonical: the first formula that prints the canonical name (Ontwikkel)
    assert card["statement"] == "Ik machtig anderen mijn plannen te bewerken."
    assert db_session.scalars(select(LibraryEntry).where(LibraryEntry.name == "Vermindere regels")).first() is None


def test_board_shows_no_claim_where_the_source_gives_no_current_phase(client, facilitator, make_session):
    login(client)
    sid, _code = make_session(facilitator, formula="ontwikkel", with_cards=True)
    page = client.get(f"/s/{sid}").get_data(as_text=True)
    names = re.findall(r'<p class="cell-label current-name">([^<]*)</p>', page)
    assert len(names) == 14 and set(names) == {""}
    sid, _code = make_session(facilitator, formula="toezicht", with_cards=True)
    page = client.get(f"/s/{sid}").get_data(as_text=True)
    names = re.findall(r'<p class="cell-label current-name">([^<]*)</p>', page)
    assert names == ["Geen"] * 6 + ["Kennismening besluit"]


def test_library_page_shows_each_formulas_text(client, facilitator):
    login(client)
    page = client.get("/library?q=Multimachtiging").get_data(as_text=True)
    assert "Ontwikkelformule: Multimachtiging" in page and "Toezichtformule: Multimachtiging" in page
    assert "Ik machtig anderen mijn plannen te bewerken." in page and "Ik ontvang automatisch het besluit." in page


def test_a_copied_entry_makes_the_canonical_card(app, client, facilitator, make_session, db_session):
    login(client)
    webshop = db_session.scalars(select(LibraryEntry).where(LibraryEntry.name == "Webshop betaling")).one()
    assert client.post(f"/library/{webshop.id}/copy").status_code == 302
    copy = db_session.scalars(select(LibraryEntry).where(LibraryEntry.origin == "own",
                                                         LibraryEntry.name == "Webshop betaling")).one()
    assert copy.statements == ["Ik zie een kostenoverzicht in de aanvraag. Ik betaal direct via iDEAL."]
    assert copy.channels == ["website-dso"]
    host = db_session.scalars(select(LibraryEntry).where(LibraryEntry.name == "Host")).one()
    client.post(f"/library/{host.id}/copy")
    copy = db_session.scalars(select(LibraryEntry).where(LibraryEntry.origin == "own",
                                                         LibraryEntry.name == "Host")).one()
    # Ontwerp's text first (the first formula that prints "Host"), Ontwikkel's after it; Ontwerp's channels
    assert copy.statements == ["Ik wordt naar het juiste loket geleid.", "Ik word naar het juiste loket geleid."]
    assert copy.channels == ["website-gemeente", "persoonlijk"]
