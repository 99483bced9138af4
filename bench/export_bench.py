"""Time the export of a large board: PDF (A3) and JSON.

    .venv/bin/python bench/export_bench.py [FILE.pdf]

Builds 15 phases × 4 lanes with 300 cards (some with the longest text allowed)
in a temporary SQLite database, then the same with 1,000 cards, and prints the
timings; the last line is a JSON object with ``pdf_seconds``, ``pdf_bytes``,
``pages`` and ``json_seconds`` (300 cards) and ``pdf_1000_seconds`` and
``pages_1000`` (target: A3 under 1.5 s, time linear in the cards: compare
``seconds_per_card`` of both sizes). The 300-card report is tagged (a structure tree), the
1,000-card one by default not (``pdf.TAG_LIMIT``); ``pdf_1000_tagged_seconds`` says what
tagging it would cost.
"""
from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from workshop import create_app  # noqa: E402
from workshop.accounts import create_facilitator  # noqa: E402
from workshop.cloning import create_session_from_document  # noqa: E402
from workshop.db import db  # noqa: E402
from workshop.export import files  # noqa: E402
from workshop.export.pdf import render_pdf  # noqa: E402
from workshop.export.report import build_report  # noqa: E402
from workshop.export.sample import large_document  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402
from workshop.models import Channel  # noqa: E402
from workshop.seed import load_seed  # noqa: E402


def count_pages(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:  # object streams hide "/Type /Page" from a regex
        return len(doc.pages)


def best_of(n, fn):
    best, result = None, None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        upgrade(url)
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
        with app.app_context():
            s = db.session
            load_seed(s)
            owner = create_facilitator(s, "bench@example.nl", "bench-password-123", "Bench")
            channels = list(s.scalars(select(Channel.slug).order_by(Channel.position)))
            ws = create_session_from_document(s, large_document(channels), facilitator_id=owner.id,
                                              join_code="BENCH1")
            s.commit()
            first, _ = best_of(1, lambda: files.pdf_bytes(s, ws))  # includes font loading
            pdf_seconds, pdf = best_of(3, lambda: files.pdf_bytes(s, ws))
            json_seconds, doc = best_of(3, lambda: files.json_bytes(s, ws))
            a4_seconds, a4 = best_of(1, lambda: files.pdf_bytes(s, ws, size="A4"))
            big = create_session_from_document(s, large_document(channels, cards=1000, seed=11),
                                               facilitator_id=owner.id, join_code="BENCH2")
            s.commit()
            big_seconds, big_pdf = best_of(3, lambda: files.pdf_bytes(s, big))
            big_report = build_report(s, big)
            tagged_seconds, _ = best_of(1, lambda: render_pdf(big_report, tagged=True))
            if len(sys.argv) > 1:  # keep the A3 report to look at: export_bench.py /tmp/large.pdf
                Path(sys.argv[1]).write_bytes(pdf)
            pages = count_pages(pdf)
            big_pages = count_pages(big_pdf)
            print(f"PDF A3: {pdf_seconds:.3f} s (first call {first:.3f} s), {len(pdf):,} bytes, {pages} pages")
            print(f"PDF A4: {a4_seconds:.3f} s, {len(a4):,} bytes, {count_pages(a4)} pages")
            print(f"PDF A3, 1,000 cards: {big_seconds:.3f} s, {len(big_pdf):,} bytes, {big_pages} pages "
                  f"(tagged, which the default leaves to boards of up to 500 cards: {tagged_seconds:.3f} s)")
            print(f"JSON:   {json_seconds:.3f} s, {len(doc):,} bytes")
            print(json.dumps({"pdf_seconds": round(pdf_seconds, 3), "pdf_bytes": len(pdf), "pages": pages,
                              "json_seconds": round(json_seconds, 3), "pdf_1000_seconds": round(big_seconds, 3),
                              "pages_1000": big_pages, "pdf_1000_bytes": len(big_pdf),
                              "pdf_1000_tagged_seconds": round(tagged_seconds, 3),
                              "seconds_per_card": [round(pdf_seconds / 300, 5), round(big_seconds / 1000, 5)],
                              "loadavg": open("/proc/loadavg").read().split()[0]}))
            s.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
