"""Checks on the seed YAML files only (no app imports)."""
import re
from pathlib import Path

import pytest
import yaml

SEED = Path(__file__).resolve().parents[1] / "seed"
DATA = Path(__file__).resolve().parent / "data"
FORMULA_SLUGS = ["snelservice", "ontwerp", "ontwikkel", "toezicht", "beheer"]
GUARANTEES = ["Beleving", "Toegang", "Service", "Assortiment", "Prijs"]
AGREEMENTS = ["HRM en Besturing", "Processen", "Informatisering", "Financiën"]
REQUIRED_FORMULA_KEYS = {"slug", "name", "aliases", "core_values", "customer_role", "description", "personas", "plate"}
LIBRARY_KEYS = {"name", "statements", "channels", "lane", "formulas", "tags"}

EXPECTED_LIBRARY_TOTAL = 78
EXPECTED_INNOVATIONS = 58
EXPECTED_BACKOFFICE = 20


def load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def channels():
    return load(SEED / "channels.yaml")


@pytest.fixture(scope="module")
def library():
    return load(SEED / "library.yaml")


@pytest.fixture(scope="module")
def formulas():
    return {slug: load(SEED / "formulas" / f"{slug}.yaml") for slug in FORMULA_SLUGS}


@pytest.fixture(scope="module")
def by_name(library):
    """Every name and alias -> library entry."""
    index = {}
    for entry in library:
        for n in [entry["name"], *entry.get("aliases", [])]:
            index[n] = entry
    return index


def entry(library, name):
    matches = [e for e in library if e["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


# ---------------------------------------------------------------- channels

def test_channels(channels):
    slugs = [c["slug"] for c in channels]
    assert len(slugs) == len(set(slugs))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)
    names = {c["slug"]: c["name"] for c in channels}
    assert names == {
        "website-gemeente": "Website (gemeente)",
        "website-dso": "Website (DSO)",
        "website": "Website",
        "telefoon": "Telefoon",
        "email": "E-mail",
        "persoonlijk": "Persoonlijk",
        "sms": "SMS",
        "sm": "SM (social media)",
        "berichtenbox": "Berichtenbox",
        "post": "Post",
        "whatsapp": "WhatsApp",
        "balie": "Balie",
        "chat": "Chat",
    }


# ---------------------------------------------------------------- formulas

def test_formula_files_exist_and_have_required_keys(formulas):
    assert sorted(p.stem for p in (SEED / "formulas").glob("*.yaml")) == sorted(FORMULA_SLUGS)
    for slug, f in formulas.items():
        assert REQUIRED_FORMULA_KEYS <= set(f), slug
        assert f["slug"] == slug
        assert isinstance(f["description"], str) and f["description"]
        assert list(f["plate"]) == ["guarantees", "agreements"]
        assert list(f["plate"]["guarantees"]) == GUARANTEES, slug
        assert list(f["plate"]["agreements"]) == AGREEMENTS, slug
        for part in ("guarantees", "agreements"):
            for items in f["plate"][part].values():
                assert isinstance(items, list)
                assert all(isinstance(i, str) and i.strip() == i and i for i in items)


def test_formula_names_aliases_roles_values(formulas):
    expected = {
        "snelservice": ("Snelserviceformule", {"Flitsformule", "Flits"}, "klant", ["Simpel", "Snel"]),
        "ontwerp": ("Ontwerpformule", {"Wegwijsformule", "Wegwijs"}, "klant", ["Samen", "Op maat"]),
        "ontwikkel": ("Ontwikkelformule", {"Co-creatieformule", "Co-creatie"}, "partner", ["Co-creatie", "partnerschap"]),
        "toezicht": ("Toezichtformule", {"Handhaafformule", "Handhaaf"}, "onderdaan", ["Alert", "Rechtvaardig"]),
        "beheer": ("Beheerformule", {"Beheer"}, "gebruiker", ["Schoon", "Heel", "Veilig"]),
    }
    for slug, (name, aliases, role, values) in expected.items():
        f = formulas[slug]
        assert f["name"] == name
        assert aliases <= set(f["aliases"])
        assert f["customer_role"] == role
        assert f["core_values"] == values
    all_aliases = [a for f in formulas.values() for a in f["aliases"]]
    assert len(all_aliases) == len(set(all_aliases))


def test_taglines_and_personas(formulas):
    assert formulas["ontwerp"]["tagline"] == "Relevant & Compleet"
    assert formulas["ontwikkel"]["tagline"] == "Inspirerend & Betrokken"
    assert formulas["toezicht"]["tagline"] == "Samen & Zichtbaar"
    assert "tagline" not in formulas["snelservice"]
    assert "tagline" not in formulas["beheer"]
    assert formulas["toezicht"]["personas"] == ["Rianne", "Hendrik", "David", "Sietske"]
    for slug in ("snelservice", "ontwerp", "ontwikkel", "beheer"):
        assert formulas[slug]["personas"] == []


def test_beheer_has_empty_plate_and_no_journey(formulas):
    beheer = formulas["beheer"]
    assert "journey" not in beheer
    for part in ("guarantees", "agreements"):
        assert all(items == [] for items in beheer["plate"][part].values())
    # Snelservice has no grid in 003; its journey is the four steps of 001
    assert formulas["snelservice"]["journey"]["source"] == "001"
    assert len(formulas["snelservice"]["journey"]["phases"]) == 4
    # the other four plates are filled under every heading
    for slug in ("snelservice", "ontwerp", "ontwikkel", "toezicht"):
        for part in ("guarantees", "agreements"):
            assert all(formulas[slug]["plate"][part].values()), slug


def test_ontwerp_plate(formulas):
    plate = formulas["ontwerp"]["plate"]
    assert "U heeft één contactpersoon vanuit de gemeente." in plate["guarantees"]["Toegang"]
    assert len(plate["guarantees"]["Service"]) == 10
    assert "Klaar terwyl u wacht." in formulas["snelservice"]["plate"]["guarantees"]["Service"]


def test_journey_shape(formulas):
    counts = {"snelservice": 4, "ontwerp": 11, "ontwikkel": 14, "toezicht": 7}
    for slug, n in counts.items():
        phases = formulas[slug]["journey"]["phases"]
        assert len(phases) == n, slug
        for ph in phases:
            assert set(ph) == {"current", "desired", "statement", "innovations", "backoffice"}
            # None: the source gives no current phase; "Geen": the source says there is none today
            assert ph["current"] is None or isinstance(ph["current"], str)
            assert isinstance(ph["innovations"], list) and isinstance(ph["backoffice"], list)
        if slug in ("ontwerp", "ontwikkel"):
            assert phases[-1] == {"current": None, "desired": "Continue innovaties", "statement": None,
                                  "innovations": phases[-1]["innovations"], "backoffice": phases[-1]["backoffice"]}


def test_ontwerp_journey(formulas):
    phases = formulas["ontwerp"]["journey"]["phases"]
    desired = [p["desired"] for p in phases]
    assert desired == [
        "Kansen zoeken", "Businessplan", "Verdieping", "Afstemming", None,
        "Besluit", "Betaling", "Bezwaar", "Realisatie", "Gebruik", "Continue innovaties",
    ]
    afstemming = next(p for p in phases if p["desired"] == "Afstemming")
    assert afstemming["statement"] == "Ik stem mijn plannen af met de gemeente."
    assert afstemming["current"] == "Geen"
    koers = phases[4]
    assert koers == {"current": "Koerswijziging", "desired": None, "statement": None, "innovations": [], "backoffice": []}
    cont = phases[-1]
    assert cont["current"] is None and cont["statement"] is None
    first = phases[0]
    assert first["current"] == "Kansen zoeken"
    assert first["innovations"] == ["Stip op de kaart", "Initiatief alert"]
    assert first["backoffice"][0] == "Klantkennis"
    for p in phases[5:10]:
        assert p["current"] == p["desired"]


def test_ontwikkel_journey(formulas):
    phases = formulas["ontwikkel"]["journey"]["phases"]
    assert [p["desired"] for p in phases] == [
        "Droom", "Verkenning", "Afstemming", "Participatie", "Startbesluit",
        "Co-creatie ontwikkeling", "Verdieping", "Behandeling", "Vaststellen ontwikkeling",
        "Betaling", "Beroep", "Uitspraak", "Afronding", "Continue innovaties",
    ]
    assert all(p["current"] is None for p in phases)
    assert phases[2]["innovations"][1] == "Track & Trace"
    assert phases[9]["innovations"] == ["Webshop betaling", "Bulkbetaling", "Kortingsregeling"]


def test_toezicht_journey(formulas):
    phases = formulas["toezicht"]["journey"]["phases"]
    assert [p["current"] for p in phases] == ["Geen"] * 6 + ["Kennismening besluit"]
    assert [p["desired"] for p in phases] == [
        "Bewustwording", "Interesse", "Kennismening initiatief", "Impact analyse",
        "Melding", "Participatie", "Kennismening besluit",
    ]
    assert phases[0]["innovations"] == ["Stip op de kaart", "Persoonlijke voorkeuren"]
    assert phases[-1]["backoffice"] == ["Integraal afhandelen"]


# ---------------------------------------------------------------- library

def test_library_entries_well_formed(library, channels):
    slugs = {c["slug"] for c in channels}
    for e in library:
        assert LIBRARY_KEYS | {"variants"} <= set(e) <= LIBRARY_KEYS | {"aliases", "variants"}, e["name"]
        assert e["lane"] in ("innovations", "backoffice")
        assert set(e["channels"]) <= slugs, e["name"]
        assert len(e["channels"]) == len(set(e["channels"]))
        assert len(e["statements"]) == len(set(e["statements"]))
        assert all(isinstance(s, str) and s for s in e["statements"])
        assert e["formulas"] and set(e["formulas"]) <= set(FORMULA_SLUGS)
        assert isinstance(e["tags"], list)
        if "aliases" in e:
            assert e["aliases"], e["name"]
        # one variant per formula that prints the card; the entry's statements and channels gather them
        assert list(e["variants"]) == e["formulas"], e["name"]
        sentences, union = [], []
        for variant in e["variants"].values():
            assert set(variant) == {"title", "statement", "channels"}, e["name"]
            assert variant["title"] in [e["name"], *e.get("aliases", [])], e["name"]
            assert set(variant["channels"]) <= slugs and len(set(variant["channels"])) == len(variant["channels"])
            sentences += [x for x in re.split(r"(?<=[.!?])\s+", variant["statement"]) if x and x not in sentences]
            union += [c for c in variant["channels"] if c not in union]
        assert (sentences, union) == (e["statements"], e["channels"]), e["name"]


def test_library_names_unique(library):
    names = [n for e in library for n in [e["name"], *e.get("aliases", [])]]
    assert len(names) == len(set(names))


def test_library_counts(library):
    assert len(library) == EXPECTED_LIBRARY_TOTAL
    assert len(library) >= 60
    assert sum(e["lane"] == "innovations" for e in library) == EXPECTED_INNOVATIONS
    assert sum(e["lane"] == "backoffice" for e in library) == EXPECTED_BACKOFFICE


def test_journey_cards_resolve_and_match_lane_and_formulas(formulas, by_name, library):
    seen = {e["name"]: set() for e in library}
    for slug, f in formulas.items():
        for ph in f.get("journey", {}).get("phases", []):
            for lane in ("innovations", "backoffice"):
                for name in ph[lane]:
                    assert name in by_name, f"{slug}: {name!r} not in library"
                    e = by_name[name]
                    assert e["lane"] == lane, (slug, name)
                    seen[e["name"]].add(slug)
    for e in library:
        assert set(e["formulas"]) == seen[e["name"]], e["name"]


def test_named_entries(library):
    e = entry(library, "Stip op de kaart")
    assert e["channels"] == ["website-dso"]
    assert "Ik klik op een kaart en zie de regels van wat mag en niet mag, en de procedures." in e["statements"]
    assert e["lane"] == "innovations"

    e = entry(library, "Track & Trace")
    assert e["channels"] == ["website-dso", "email", "sms", "sm"]
    assert e["statements"] == ["Ik zie steeds de voortgang."]
    assert e["formulas"] == ["ontwikkel"]

    e = entry(library, "Webshop betaling")
    assert e["channels"] == ["website-dso"]
    assert e["statements"] == ["Ik zie een kostenoverzicht in de aanvraag.", "Ik betaal direct via iDEAL."]
    assert e["formulas"] == ["ontwerp", "ontwikkel"]

    e = entry(library, "Next Steps")
    assert e["channels"] == ["sms", "email", "berichtenbox", "telefoon", "sm"]
    assert e["statements"] == [
        "Ik zie steeds hoever ik ben en wat er nog aankomt.",
        "Ik zie steeds hoe ver ik ben en wat er nog aankomt.",
    ]

    e = entry(library, "Reviews")
    assert e["aliases"] == ["Review"]
    assert e["channels"] == ["website-gemeente", "persoonlijk"]
    assert e["statements"] == ["Ik vul een vragenlijst in."]
    assert e["formulas"] == ["ontwerp", "ontwikkel"]

    e = entry(library, "Gelaagd aanbieden")
    assert e["channels"] == ["website", "persoonlijk", "telefoon"]
    assert e["statements"] == ["Ik lees eerst de hoofdlijnen en kan doorklikken op steeds meer detailinformatie."]
    assert e["formulas"] == ["ontwerp"]

    e = entry(library, "Kortingregeling")
    assert e["aliases"] == ["Kortingsregeling"]
    e = entry(library, "Belanghebbenden certificaat")
    assert e["aliases"] == ["Belanghebbende certificaat"]

    e = entry(library, "Host")
    assert e["statements"] == ["Ik wordt naar het juiste loket geleid.", "Ik word naar het juiste loket geleid."]

    for name in ("Verminderen regels", "Cultuur aanpak", "Klantkennis"):
        e = entry(library, name)
        assert e["lane"] == "backoffice"
        assert e["statements"] == [] and e["channels"] == []
    # the canonical name is the spelling most formulas print (Ontwikkel and Toezicht against Ontwerp)
    e = entry(library, "Verminderen regels")
    assert e["aliases"] == ["Vermindere regels"] and e["variants"]["ontwerp"]["title"] == "Vermindere regels"

    cluster = ["Leg de regels uit", "Leg het proces uit", "Leg de bedoeling uit", "Inzichtelijk proces"]
    first = entry(library, cluster[0])
    assert first["channels"] == ["website-gemeente", "telefoon", "email", "persoonlijk"]
    for name in cluster[1:]:
        e = entry(library, name)
        assert (e["channels"], e["statements"]) == (first["channels"], first["statements"])


# ---------------------------------------------------------------- fidelity to the source text

def _source(name: str) -> str:
    """The verbatim copies of the source documents in tests/data (see tests/data/README.md)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((DATA / name).glob("*.txt"))) \
        if (DATA / name).is_dir() else (DATA / name).read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_texts_are_verbatim_from_the_sources(library, formulas):
    src = _source("seed_003")
    for e in library:
        for s in [e["name"], *e.get("aliases", []), *e["statements"]]:
            assert s in src, s
    joined = "Medewerkers verleiden inwoners en ondernemers tot deelname"
    for slug in ("snelservice", "ontwerp", "ontwikkel", "toezicht"):
        f = formulas[slug]
        assert f["description"] in src
        for part in ("guarantees", "agreements"):
            for items in f["plate"][part].values():
                for item in items:
                    assert item in src or item == joined, item
        # the Snelservice journey comes from 001 (whose "Aanvraag op maat" has a no-break space)
        journey_src = _source("seed_001_snelservice.txt").replace("\xa0", " ") if slug == "snelservice" else src
        for ph in f["journey"]["phases"]:
            for key in ("current", "desired", "statement"):
                assert ph[key] is None or ph[key] in journey_src, (slug, ph[key])
