"""The VNG seed data lands in the database intact, and loading it twice changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from workshop.models import Channel, Formula, LibraryEntry, Template
from workshop.seed import load_seed
from workshop.sessions import find_formula


def _counts(s):
    return {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in (Channel, LibraryEntry, Formula, Template)}


def test_counts(db_session):
    assert _counts(db_session) == {"Channel": 13, "LibraryEntry": 78, "Formula": 5, "Template": 5}
    lanes = dict(db_session.execute(select(LibraryEntry.lane, func.count()).group_by(LibraryEntry.lane)).all())
    assert lanes == {"innovations": 58, "backoffice": 20}


def test_seed_is_idempotent(db_session):
    before = _counts(db_session)
    stats = load_seed(db_session)
    db_session.commit()
    assert _counts(db_session) == before
    for kind, c in stats.items():
        assert c["created"] == 0 and c["updated"] == 0, (kind, c)


def _entry(s, name):
    return s.scalars(select(LibraryEntry).where(LibraryEntry.name == name)).one()


def test_named_entries(db_session):
    stip = _entry(db_session, "Stip op de kaart")
    assert stip.channels == ["website-dso"]
    assert stip.statements[0] == "Ik klik op een kaart en zie de regels van wat mag en niet mag, en de procedures."
    tt = _entry(db_session, "Track & Trace")
    assert set(tt.channels) == {"website-dso", "email", "sms", "sm"}
    assert tt.statements == ["Ik zie steeds de voortgang."]
    webshop = _entry(db_session, "Webshop betaling")
    assert webshop.channels == ["website-dso"]
    assert "Ik betaal direct via iDEAL." in webshop.statements
    assert _entry(db_session, "Klantkennis").lane == "backoffice"
    assert "Review" in _entry(db_session, "Reviews").aliases


def test_formulas_with_aliases_roles_and_plates(db_session):
    expected = {"Flits": ("snelservice", "klant"), "Wegwijs": ("ontwerp", "klant"),
                "co-creatie": ("ontwikkel", "partner"), "Handhaaf": ("toezicht", "onderdaan"),
                "Beheer": ("beheer", "gebruiker")}
    for alias, (slug, role) in expected.items():
        f = find_formula(db_session, alias)
        assert f is not None and f.slug == slug and f.customer_role == role, alias
    ontwerp = find_formula(db_session, "ontwerp")
    assert ontwerp.core_values == ["Samen", "Op maat"]
    assert "U heeft één contactpersoon vanuit de gemeente." in ontwerp.plate["guarantees"]["Toegang"]
    assert list(ontwerp.plate["agreements"]) == ["HRM en Besturing", "Processen", "Informatisering", "Financiën"]
    afstemming = [p for p in ontwerp.journey["phases"] if p["desired"] == "Afstemming"][0]
    assert afstemming["current"] == "Geen" and afstemming["statement"] == "Ik stem mijn plannen af met de gemeente."
    toezicht = find_formula(db_session, "Toezicht")
    assert toezicht.personas == ["Rianne", "Hendrik", "David", "Sietske"]


def test_formula_templates_carry_the_journey(db_session):
    t = db_session.scalars(select(Template).join(Formula, Template.formula_id == Formula.id)
                           .where(Formula.slug == "ontwerp")).one()
    doc = t.document
    assert [p["desired_name"] for p in doc["phases"]][:4] == ["Kansen zoeken", "Businessplan", "Verdieping",
                                                               "Afstemming"]
    titles = {c["title"] for c in doc["cards"]}
    assert {"Stip op de kaart", "Gelaagd aanbieden", "Next Steps", "Webshop betaling"} <= titles
    assert len(doc["agenda"]) >= 5


def test_reseeding_an_older_library_renames_in_place_and_adds_the_variants(db_session):
    """An installation seeded before the variants: the entry was called "Vermindere regels"."""
    entry = _entry(db_session, "Verminderen regels")
    entry_id = entry.id
    entry.name, entry.aliases = "Vermindere regels", ["Verminderen regels"]
    entry.variants.clear()
    db_session.commit()
    stats = load_seed(db_session)
    db_session.commit()
    assert stats["library"]["created"] == 0 and stats["variants"]["created"] == 3
    renamed = _entry(db_session, "Verminderen regels")
    assert renamed.id == entry_id and renamed.aliases == ["Vermindere regels"]
    assert [(v.formula.slug, v.title) for v in renamed.variants] == [
        ("ontwerp", "Vermindere regels"), ("ontwikkel", "Verminderen regels"), ("toezicht", "Verminderen regels")]
    assert _counts(db_session)["LibraryEntry"] == 78
