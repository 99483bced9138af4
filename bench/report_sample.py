"""Render the report of a voted Ontwerpformule session, to look at (and for docs/).

    .venv/bin/python bench/report_sample.py OUT_DIR [--lang en] [--a4] [--formula ontwerp]

Builds the formula's template in a temporary SQLite database, lets six participants vote
twice on the innovations lane and once on the backoffice lane, then writes ``report.pdf``,
``report.html`` and ``report.csv`` to OUT_DIR; turn pages into PNG with
``pdftoppm -r 60 -png OUT_DIR/report.pdf OUT_DIR/page``.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from workshop import create_app  # noqa: E402
from workshop.accounts import create_facilitator  # noqa: E402
from workshop.board import apply_operation  # noqa: E402
from workshop.board.actor import Actor  # noqa: E402
from workshop.db import db  # noqa: E402
from workshop.export import files  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402
from workshop.models import Card, Lane  # noqa: E402
from workshop.seed import load_seed  # noqa: E402
from workshop.sessions import create_session, find_formula, join_session  # noqa: E402


def vote_round(s, ws, fac, voters, lane, rng, *, budget=3):
    apply_operation(s, ws.id, fac, {"type": "vote.open", "lane_id": lane.id, "votes_per_participant": budget})
    cards = list(s.scalars(select(Card.id).where(Card.lane_id == lane.id).order_by(Card.id)))
    favourites = cards[: max(3, len(cards) // 3)]
    for p in voters:
        for card_id in rng.sample(favourites, k=min(budget, len(favourites))):
            apply_operation(s, ws.id, Actor("participant", p.id, p.display_name),
                            {"type": "vote.cast", "card_id": card_id})
    apply_operation(s, ws.id, fac, {"type": "vote.reveal"})
    apply_operation(s, ws.id, fac, {"type": "vote.close"})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lang", default="nl")
    ap.add_argument("--a4", action="store_true")
    ap.add_argument("--formula", default="ontwerp")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/sample.sqlite"
        upgrade(url)
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "sample"})
        with app.app_context():
            s = db.session
            load_seed(s)
            owner = create_facilitator(s, "fien@example.nl", "sample-password-123", "Fien de Vries")
            formula = find_formula(s, args.formula)
            ws = create_session(s, owner.id, title="Omgevingsvergunning: vergunningstraject", formula=formula,
                                with_cards=True, municipality="Gemeente Heerde", product="Omgevingsvergunning",
                                session_date=date(2026, 11, 12))
            s.commit()
            fac = Actor("facilitator", owner.id, "Fien de Vries")
            names = ["Anna Jansen", "Bram de Boer", "Chantal Visser", "Dirk Smit", "Esra Yilmaz", "Frank Mulder"]
            voters = [join_session(s, ws, n)[0] for n in names]
            s.commit()
            lanes = {lane.kind: lane for lane in s.scalars(select(Lane).where(Lane.session_id == ws.id))}
            if "innovations" in lanes:
                vote_round(s, ws, fac, voters, lanes["innovations"], rng)
                vote_round(s, ws, fac, voters[:4], lanes["innovations"], rng, budget=2)
            if "backoffice" in lanes:
                vote_round(s, ws, fac, voters, lanes["backoffice"], rng, budget=2)
            s.commit()
            size = "A4" if args.a4 else "A3"
            (out / "report.pdf").write_bytes(files.pdf_bytes(s, ws, size=size, lang=args.lang))
            (out / "report.csv").write_bytes(files.csv_bytes(s, ws, lang=args.lang))
            print(out / "report.pdf")
            s.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
