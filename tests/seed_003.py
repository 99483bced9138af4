"""Reading the journey grids of the VNG source text ``003`` (copied verbatim in tests/data/seed_003/).

The grids were flattened when the PowerPoints were turned into text: a card is its title followed
by its channel labels and its customer statement, all in one run of text. Given the card titles a
formula template puts on its board, ``blocks`` finds what follows each title, so a test can compare
every card with the source (seed/README.md, "Reading the grids", describes the same rules):

- A *cell* is one tab-separated field of a grid row; the plain-line part of the Ontwerp grid
  (page 3, extracted without columns) is one cell. In the Toezicht grid a card's title stands at
  the end of one row's cell and its text at the start of the cell below, so a cell there is a whole
  column read top to bottom.
- Within a cell the text after a title, up to the next title, is that card's *block*: leading channel
  labels, then the statement. Titles that directly follow one another (the "Leg de regels uit"
  group) share the block after the last of them.
"""
from __future__ import annotations

import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "seed_003"
FORMULAS_WITH_GRID = ("ontwerp", "ontwikkel", "toezicht")

# Channel labels as 003 prints them (longest first, so "Website (DSO)" is not read as "Website").
CHANNEL_LABELS = {
    "Website (gemeente)": "website-gemeente", "Website (DSO)": "website-dso", "Website": "website",
    "Telefoon": "telefoon", "E-mail": "email", "Mail": "email", "Persoonlijk": "persoonlijk",
    "SMS": "sms", "Sms": "sms", "SM": "sm", "Berichtenbox": "berichtenbox",
}
# Row and lane labels that end a block in the plain-line part of the Ontwerp grid.
STOP_WORDS = ("Backoffice", "Dienstinnovaties & klantinteracties", "Gewenste klantreis fase", "Huidige klantreis",
              "Continue innovaties", "Gewenste beleving")


def section(slug: str) -> str:
    return (DATA / f"{slug}.txt").read_text(encoding="utf-8")


def flat(text: str) -> str:
    """Markup and list bullets out, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"(?m)^\s*- ", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def cells(slug: str) -> list[list[str]]:
    """The grid cells of a formula's section; each cell is a list of pieces (rows of a Toezicht column)."""
    lines = section(slug).split("\n")
    if slug == "toezicht":
        start = next(i for i, line in enumerate(lines) if line.lstrip("\t").startswith("Stip op de kaart\t"))
        rows = [line.split("\t") for line in lines[start:] if "\t" in line]
        width = max(len(r) for r in rows)
        return [[flat(r[c]) for r in rows if c < len(r) and flat(r[c])] for c in range(width)]
    out: list[list[str]] = []
    plain: list[str] = []
    for line in lines:
        if "\t" in line:
            out.extend([flat(field)] for field in line.split("\t") if flat(field))
        else:
            plain.append(line)
    # the plain-line part (the Ontwerp grid of page 3) is one cell, cut at its lane labels
    text = "\n".join(plain)
    if slug == "ontwerp":
        text = text[text.index("Dienstinnovaties & klantinteracties\n"):]
        for word in STOP_WORDS:
            text = text.replace(f"\n{word}\n", "\n\t\n")
        out.extend([flat(part)] for part in text.split("\t") if flat(part))
    return out


def _title_pattern(titles) -> re.Pattern:
    alternatives = sorted(set(titles), key=len, reverse=True)
    return re.compile(r"(?<!\S)(" + "|".join(re.escape(t) for t in alternatives) + r")(?!\S)")


def split_block(text: str) -> tuple[list[str], str]:
    """Leading channel labels (as slugs) and the statement that follows them."""
    labels = sorted(CHANNEL_LABELS, key=len, reverse=True)
    channels = []
    rest = text.strip()
    while True:
        for label in labels:
            if rest == label or rest.startswith(label + " "):
                channels.append(CHANNEL_LABELS[label])
                rest = rest[len(label):].strip()
                break
        else:
            return channels, rest


def blocks(slug: str, titles) -> dict[str, list[dict]]:
    """title -> every reading of it in the grid: {"channels", "statement", "units"}, where ``units``
    are the untitled text runs of the same cell (one per row piece), for the documented re-readings."""
    pattern = _title_pattern(titles)
    found: dict[str, list[dict]] = {}
    for cell in cells(slug):
        units, tokens = [], []  # tokens: ("title", t) | ("text", s)
        for piece in cell:
            pos = 0
            for m in pattern.finditer(piece):
                if piece[pos:m.start()].strip():
                    tokens.append(("text", piece[pos:m.start()].strip()))
                tokens.append(("title", m.group(1)))
                pos = m.end()
            if piece[pos:].strip():
                tokens.append(("text", piece[pos:].strip()))
        units = [split_block(s) for kind, s in tokens if kind == "text"]
        pending: list[str] = []
        i = 0
        while i < len(tokens):
            kind, value = tokens[i]
            if kind == "title":
                pending.append(value)
                i += 1
                if i < len(tokens) and tokens[i][0] == "title":
                    continue  # a group of titles shares what follows the last one
                texts = []
                while i < len(tokens) and tokens[i][0] == "text":
                    texts.append(tokens[i][1])
                    i += 1
                channels, statement = split_block(" ".join(texts))
                for t in pending:
                    found.setdefault(t, []).append({"channels": channels, "statement": statement, "units": units})
                pending = []
            else:
                i += 1
    return found


def sentences(statement: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", statement.strip()) if s]
