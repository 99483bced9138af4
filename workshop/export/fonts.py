"""The report font: DejaVu Sans Condensed, vendored in ``static/fonts`` (licence beside it).

It prints every character the seeds use (é, ë, ’, €, –); the condensed cut fits
more of a card's text in a narrow phase column without going below 7 pt.
"""
from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..resources import resource_dir

SEARCH = [resource_dir("static") / "fonts", Path("/usr/share/fonts/truetype/dejavu")]

REGULAR, BOLD, ITALIC = "Workshop", "Workshop-Bold", "Workshop-Italic"
FILES = {REGULAR: "DejaVuSansCondensed.ttf", BOLD: "DejaVuSansCondensed-Bold.ttf",
         ITALIC: "DejaVuSansCondensed-Oblique.ttf"}



@functools.cache  # once per process; the cache's lock also keeps two threads from registering at once
def register_fonts() -> None:
    for name, filename in FILES.items():
        for folder in SEARCH:
            path = folder / filename
            if path.exists():
                pdfmetrics.registerFont(TTFont(name, str(path)))
                break
        else:  # pragma: no cover - a broken installation
            raise RuntimeError(f"font {filename} not found in {', '.join(map(str, SEARCH))}")
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)
