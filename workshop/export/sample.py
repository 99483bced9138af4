"""A large, deterministic board document for the export benchmark and the layout tests.

15 phases, 4 lanes and 300 cards, some with the longest titles and statements
the validators allow, plus characters the font must carry (é, ë, ’, €, –) and
markup-looking titles that must print literally.
"""
from __future__ import annotations

import random

from .. import cloning

WORDS = ("aanvraag vergunning klant gemeente omgeving overleg planning casemanager digitaal "
         "loket wachttijd besluit betaling bezwaar realisatie gebruik één café’s €-tarief ideeën "
         "toezicht informatie afstemming initiatief ondernemer bewoners").split()


def _text(rng: random.Random, limit: int) -> str:
    out = []
    while True:
        word = rng.choice(WORDS)
        if len(" ".join([*out, word])) > limit:
            return " ".join(out)
        out.append(word)


def large_document(channels: list[str], *, phases: int = 15, cards: int = 300, seed: int = 7) -> dict:
    rng = random.Random(seed)
    doc = cloning.empty_document("Groot bord – stresstest")
    doc["session"].update(municipality="Gemeente Súdwest-Fryslân", product="Omgevingsvergunning €",
                          formula="ontwerp", session_date="2026-11-12")
    doc["phases"] = [{"key": f"p{i}", "current_name": None if i % 5 == 0 else f"Huidige fase {i} {_text(rng, 30)}",
                      "desired_name": f"Fase {i}: {_text(rng, 40)}",
                      "statement": "Ik " + _text(rng, 120 if i % 4 else 290)} for i in range(1, phases + 1)]
    lanes = [lane["key"] for lane in doc["lanes"]]
    for n in range(1, cards + 1):
        # crowd a few cells so they must continue on a next page
        phase = f"p{rng.choice([1, 2, 3] if n % 3 == 0 else range(1, phases + 1))}"
        long = n % 10 == 0
        title = _text(rng, 200) if long else f"Kaart {n} " + _text(rng, 40)
        if n == 7:
            title = "<b>niet vet</b> & <script>alert(1)</script>"
        doc["cards"].append({
            "phase": phase, "lane": lanes[n % len(lanes)], "title": title,
            "statement": "Ik " + _text(rng, 496 if long else 90),
            "channels": rng.sample(channels, k=min(len(channels), rng.randint(0, 4))),
            "votes": rng.randint(0, 12), "author": f"Deelnemer {n % 17}",
        })
    return doc
