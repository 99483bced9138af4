"""The PDF report: a plain report dict (``report.build_report``) in, PDF bytes out.

Two passes. The *layout* pass places every box and every line of text on
pages as plain records (it wraps text itself with the font metrics, so it
knows each line's width); the *draw* pass paints those records with the
ReportLab canvas. Because the total page count is known before drawing,
every page can say "pagina 3 van 12", and the records double as the
geometry that the tests check (no text outside its box, no overlapping cards).

User text is drawn with ``drawString``, which takes it literally: a card
titled ``<b>`` prints as ``<b>``; no Paragraph markup is ever parsed.
"""
from __future__ import annotations

import io
import math
from datetime import date, datetime
from functools import lru_cache

from reportlab import rl_config
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .fonts import BOLD, ITALIC, REGULAR, register_fonts

# -- palette: VNG-like, calm, one colour per lane kind ------------------------------------------
NAVY = HexColor("#163A5F")
INK = HexColor("#1E2A36")
MUTED = HexColor("#5B6B7B")
RULE = HexColor("#C9D3DD")
PAPER_TINT = HexColor("#F3F6F9")
HEAD_CURRENT = HexColor("#E3E9F0")
LANE_COLOURS = {
    "current": ("#5E6E82", "#EEF1F5"),
    "desired": ("#1F7A8C", "#E6F2F4"),
    "innovations": ("#D9731E", "#FCF1E7"),
    "backoffice": ("#6A4C93", "#F1ECF7"),
    "custom": ("#3F8A5A", "#EAF4ED"),
}
PLATE_COLOURS = ["#1F7A8C", "#D9731E", "#163A5F", "#6A4C93", "#3F8A5A"]

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december"]

# Binary (Flate only) page streams: ASCII85 on top makes files 25 % larger and costs a
# third of the render time; nothing here needs 7-bit-clean PDFs.
rl_config.useA85 = 0

MIN_SIZE = 7.0  # nothing user-written is printed smaller than this
ASCENT, DESCENT = 0.93, 0.24  # of DejaVu Sans, per point of type size


def dutch_date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def duration(seconds: int) -> str:
    minutes = max(0, int(seconds or 0)) // 60
    if minutes >= 60:
        return f"{minutes // 60} u {minutes % 60:02d} min"
    return f"{minutes} min"


# -- text measuring and wrapping --------------------------------------------------------------------


@lru_cache(maxsize=65536)
def width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _break_word(word: str, font: str, size: float, limit: float) -> list[str]:
    """A word wider than the column is cut into pieces that fit (never cut off),
    after a hyphen or slash where one falls in the piece."""
    pieces, current = [], ""
    for ch in word:
        if current and width(current + ch, font, size) > limit:
            cut = max(current.rfind("-"), current.rfind("/"))
            if 0 < cut < len(current) - 1:
                pieces.append(current[:cut + 1])
                current = current[cut + 1:] + ch
            else:
                pieces.append(current)
                current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, font: str, size: float, limit: float, first_limit: float | None = None) -> list[str]:
    """Lines of at most ``limit`` points (``first_limit`` for the first line of the text)."""
    lines: list[str] = []
    space = width(" ", font, size)

    def room() -> float:
        return first_limit if first_limit is not None and not lines else limit

    for paragraph in (text or "").replace("\r", "").split("\n"):
        words = paragraph.split()
        if not words:
            continue
        line, line_w = "", 0.0
        for word in words:
            w = width(word, font, size)
            if not line and not lines and first_limit is not None and first_limit < w <= limit:
                lines.append("")  # the first word does not fit beside the badge: start below it
                line, line_w = word, w
                continue
            if not line and w > room():
                # a word wider than the line: split it, keep the last piece open
                parts = _break_word(word, font, size, room())
                lines.append(parts[0])
                rest = "".join(parts[1:])
                if rest:
                    parts = _break_word(rest, font, size, limit)
                    lines.extend(parts[:-1])
                    line, line_w = parts[-1], width(parts[-1], font, size)
                continue
            if not line:
                line, line_w = word, w
            elif line_w + space + w <= room():
                line, line_w = line + " " + word, line_w + space + w
            else:
                lines.append(line)
                if w > limit:
                    parts = _break_word(word, font, size, limit)
                    lines.extend(parts[:-1])
                    line, line_w = parts[-1], width(parts[-1], font, size)
                else:
                    line, line_w = word, w
        if line:
            lines.append(line)
    return lines


class Block:
    """Wrapped pieces of text stacked in a column of a fixed width, measured before placing."""

    def __init__(self, inner_width: float):
        self.inner_width = inner_width
        self.lines: list[tuple[str, str, float, object, float, float]] = []  # text, font, size, colour, lead, dx
        self.bullets: list[tuple[int, str]] = []  # (line index, bullet character)
        self.height = 0.0

    def add(self, text: str, font: str = REGULAR, size: float = 8.0, colour=INK, *, lead: float | None = None,
            space_before: float = 0.0, indent: float = 0.0, bullet: str | None = None,
            reserve: float = 0.0) -> "Block":
        """``reserve``: room kept free at the right of the block's first line (for a badge)."""
        lead = lead or size * 1.22
        limit = self.inner_width - indent
        lines = wrap(text, font, size, limit, first_limit=limit - reserve if reserve and not self.lines else None)
        if not lines:
            return self
        self.height += space_before
        for n, line in enumerate(lines):
            self.lines.append((line, font, size, colour, lead + (space_before if n == 0 else 0), indent))
            self.height += lead
        if bullet:
            self.bullets.append((len(self.lines) - len(lines), bullet))
        return self


# -- the layout pass -------------------------------------------------------------------------------


class Page:
    def __init__(self, section: str):
        self.section = section
        self.items: list[dict] = []

    def rect(self, x, y, w, h, *, fill=None, stroke=None, line_width=0.6, radius=0.0, kind="box", ref=None):
        item = {"op": "rect", "x": x, "y": y, "w": w, "h": h, "fill": fill, "stroke": stroke,
                "line_width": line_width, "radius": radius, "kind": kind, "ref": ref}
        self.items.append(item)
        return item

    def text(self, x, y, text, font, size, colour, *, box=None, align="left"):
        w = width(text, font, size)
        if align == "right":
            x -= w
        elif align == "center":
            x -= w / 2
        self.items.append({"op": "text", "x": x, "y": y, "w": w, "size": size, "text": text, "font": font,
                           "colour": colour, "box": box})

    def block(self, block: Block, x: float, top: float, *, box=None) -> float:
        """Draw a measured block with its top-left at (x, top); returns the y below it."""
        y = top
        bullets = dict(block.bullets)
        for n, (text, font, size, colour, lead, dx) in enumerate(block.lines):
            y -= lead
            # DejaVu glyphs reach 0.93 em above and 0.24 em below the baseline: centre that in the line
            baseline = y + (lead - (ASCENT + DESCENT) * size) * 0.5 + DESCENT * size
            if n in bullets:
                self.text(x + dx - 7, baseline, bullets[n], font, size, colour, box=box)
            self.text(x + dx, baseline, text, font, size, colour, box=box)
        return y


class Layout:
    def __init__(self, report: dict, pagesize: str):
        a4 = str(pagesize).upper() == "A4"
        self.report = report
        self.a4 = a4
        self.W, self.H = landscape(A4 if a4 else A3)
        self.margin = 26.0 if a4 else 34.0
        self.body_top = self.H - self.margin - 30
        self.body_bottom = self.margin + 20
        self.pages: list[Page] = []
        self.page: Page | None = None
        self.y = self.body_top
        # type sizes: the grid never goes below MIN_SIZE
        self.title_size = 8.6 if not a4 else 8.2
        self.text_size = 7.6 if not a4 else 7.3
        self.small_size = MIN_SIZE

    # pages and the flow cursor
    def new_page(self, section: str) -> Page:
        self.page = Page(section)
        self.pages.append(self.page)
        self.y = self.body_top
        return self.page

    def ensure(self, height: float, section: str) -> None:
        if self.page is None or self.y - height < self.body_bottom:
            self.new_page(section)

    def heading(self, text: str, section: str, *, sub: str = "") -> None:
        self.ensure(60, section)
        p = self.page
        p.text(self.margin, self.y - 18, text, BOLD, 16, NAVY)
        self.y -= 24
        if sub:
            b = Block(self.W - 2 * self.margin).add(sub, REGULAR, 8.5, MUTED)
            self.y = p.block(b, self.margin, self.y)
        self.y -= 10

    # -- cover ------------------------------------------------------------------------------------
    def cover(self) -> None:
        r = self.report
        s = r["session"]
        p = self.new_page("Verslag")
        m, W = self.margin, self.W
        band_h = self.H * 0.36
        top = self.body_top
        p.rect(m, top - band_h, W - 2 * m, band_h, fill=NAVY, kind="band")
        x = m + 40
        inner = W - 2 * m - 80
        p.text(x, top - 50, "VERSLAG PRESSURE COOKER · KLANTREIS EN DIENSTINNOVATIES", BOLD, 10,
               HexColor("#9FC3D9"))
        title = Block(inner).add(s["title"] or "Sessie", BOLD, 30 if not self.a4 else 24, white, lead=36 if not
                                 self.a4 else 29)
        y = p.block(title, x, top - 62)
        sub = " · ".join(t for t in (s["municipality"], s["product"]) if t)
        if sub:
            y = p.block(Block(inner).add(sub, REGULAR, 14, white), x, y - 6)
        formula = r.get("formula")
        if formula:
            y -= 14
            label = formula["name"] + (f" — {formula['tagline']}" if formula.get("tagline") else "")
            y = p.block(Block(inner).add(label, BOLD, 12, HexColor("#F6B26B")), x, y)
            cx, cy = x, y - 24
            for value in formula.get("core_values") or []:
                w = width(value, BOLD, 10) + 20
                p.rect(cx, cy, w, 18, fill=HexColor("#2C5A85"), radius=9, kind="chip")
                p.text(cx + 10, cy + 5.5, value, BOLD, 10, white)
                cx += w + 8
        # facts
        facts = [
            ("Datum", dutch_date(s.get("session_date") or s.get("created_at"))),
            ("Facilitator", r.get("facilitator") or "—"),
            ("Deelnemers", str(r.get("participant_count", 0))),
            ("Formule", formula["name"] if formula else "—"),
            ("Rol van de klant", (formula or {}).get("customer_role") or "—"),
            ("Fasen", str(len(r["phases"]))),
            ("Kaarten", str(len(r["cards"]))),
        ]
        fy = top - band_h - 40
        col_w = (W - 2 * m - 80) / 4
        for n, (label, value) in enumerate(facts):
            fx = x + (n % 4) * col_w
            yy = fy - (n // 4) * 52
            p.text(fx, yy, label.upper(), BOLD, 8, MUTED)
            p.block(Block(col_w - 16).add(value, REGULAR, 13, INK), fx, yy - 4)
        # contents
        cy = fy - 130
        p.text(x, cy, "INHOUD", BOLD, 8, MUTED)
        contents = ["Klantreis: fasen en kaarten", "Innovaties op volgorde van stemmen",
                    "Per fase: huidige en gewenste situatie", "Formuleplaat: zekerheden en interne afspraken",
                    "Agenda", "Deelnemers"]
        for n, line in enumerate(contents):
            p.text(x + (n % 2) * col_w * 2, cy - 18 - (n // 2) * 16, f"{n + 1}.  {line}", REGULAR, 10.5, INK)

    # -- journey grid -----------------------------------------------------------------------------
    def card_block(self, card: dict, inner: float, show_author: bool) -> Block:
        b = Block(inner)
        b.add(card["title"], BOLD, self.title_size, INK, reserve=self.badge_width(card) + 3 if card.get("votes") else 0)
        if card.get("statement"):
            b.add(card["statement"], ITALIC, self.text_size, MUTED, space_before=2)
        extra = []
        if card.get("channels"):
            extra.append(", ".join(card["channels"]))
        if show_author and card.get("author"):
            extra.append(card["author"])
        if extra:
            b.add(" · ".join(extra), REGULAR, self.small_size, MUTED, space_before=2.5)
        return b

    @staticmethod
    def badge_width(card: dict) -> float:
        return width(f"{card['votes']}", BOLD, 7.5) + width("●", REGULAR, 7) + 9

    def vote_badge(self, p: Page, card: dict, right: float, top: float) -> None:
        """The card's votes as an orange pill in its top-right corner."""
        w = self.badge_width(card)
        badge = p.rect(right - w, top - 11.5, w, 11, fill=HexColor("#D9731E"), radius=5.5, kind="badge")
        p.text(right - w + 3.5, top - 8.8, "●", REGULAR, 7, white, box=badge)
        p.text(right - 4, top - 9.0, f"{card['votes']}", BOLD, 7.5, white, box=badge, align="right")

    def journey(self) -> None:
        r = self.report
        phases, lanes = r["phases"], r["lanes"]
        if not phases or not lanes:
            self.new_page("Klantreis")
            self.heading("Klantreis", "Klantreis", sub="Dit bord heeft nog geen fasen of banen.")
            return
        m = self.margin
        avail = self.W - 2 * m
        lane_w = 88.0 if self.a4 else 96.0
        gap = 3.0
        min_col = 108.0 if self.a4 else 116.0
        max_col = 240.0
        per_page = max(1, int((avail - lane_w) // (min_col + gap)))
        n_chunks = math.ceil(len(phases) / per_page)
        size = math.ceil(len(phases) / n_chunks)
        chunks = [phases[i:i + size] for i in range(0, len(phases), size)]
        cells: dict[tuple, list] = {}
        for card in r["cards"]:
            cells.setdefault((card["phase_id"], card["lane_id"]), []).append(card)
        show_author = not r.get("anonymous")
        number = {ph["id"]: n for n, ph in enumerate(phases, 1)}
        for chunk in chunks:
            col_w = min(max_col, (avail - lane_w - gap * len(chunk)) / len(chunk))
            xs = [m + lane_w + gap + i * (col_w + gap) for i in range(len(chunk))]
            section = "Klantreis" if len(chunks) == 1 else (
                f"Klantreis · fase {number[chunk[0]['id']]}–{number[chunk[-1]['id']]} van {len(phases)}")
            heads = self._phase_heads(chunk, col_w, number)
            self._grid_page(section, heads, xs, col_w, lane_w)
            for lane in lanes:
                fill, tint = LANE_COLOURS.get(lane["kind"], LANE_COLOURS["custom"])
                queues = []
                for ph in chunk:
                    q = []
                    for card in cells.get((ph["id"], lane["id"]), []):
                        block = self.card_block(card, col_w - 2 * 4 - 8 - 5, show_author)
                        q.append((card, block, block.height + 10))
                    queues.append(q)
                self._grid_row(section, lane, HexColor(fill), HexColor(tint), queues, xs, col_w, lane_w, heads)

    def _phase_heads(self, chunk, col_w, number):
        inner = col_w - 12
        heads = []
        for ph in chunk:
            cur = Block(inner).add(f"{number[ph['id']]}. Huidig: " + (ph["current_name"] or "Geen"),
                                   BOLD if ph["current_name"] else ITALIC, 7.6, INK)
            des = Block(inner).add(ph["desired_name"] or "—", BOLD, 9.4, white)
            if ph.get("statement"):
                des.add(f"“{ph['statement']}”", ITALIC, 7.6, white, space_before=2)
            heads.append((cur, des))
        cur_h = max(c.height for c, _ in heads) + 8
        des_h = max(d.height for _, d in heads) + 10
        return heads, cur_h, des_h

    def _grid_page(self, section, heads, xs, col_w, lane_w, cont=False):
        blocks, cur_h, des_h = heads
        p = self.new_page(section)
        top = self.y
        m = self.margin
        corner = p.rect(m, top - cur_h - des_h, lane_w, cur_h + des_h, fill=PAPER_TINT, kind="corner")
        p.block(Block(lane_w - 10).add("Fasen van de klantreis" + (" (vervolg)" if cont else ""), BOLD, 8, MUTED),
                m + 5, top - 4, box=corner)
        for x, (cur, des) in zip(xs, blocks):
            hb = p.rect(x, top - cur_h, col_w, cur_h, fill=HEAD_CURRENT, kind="head")
            p.block(cur, x + 6, top - 3, box=hb)
            db = p.rect(x, top - cur_h - des_h, col_w, des_h, fill=NAVY, kind="head")
            p.block(des, x + 6, top - cur_h - 4, box=db)
        self.y = self.grid_top = top - cur_h - des_h - 4

    def _grid_row(self, section, lane, fill, tint, queues, xs, col_w, lane_w, heads):
        pad, gap, empty_h = 4.0, 4.0, 26.0
        m = self.margin
        first = True
        while True:
            name = lane["name"] + ("" if first else " (vervolg)")
            lane_block = Block(lane_w - 12).add(name, BOLD, 8.0 if self.a4 else 8.6, white)
            min_h = max(empty_h, lane_block.height + 12)
            totals = [sum(h for _, _, h in q) + gap * max(0, len(q) - 1) + 2 * pad for q in queues]
            want = max([min_h, *totals])
            avail = self.y - self.body_bottom
            if want > avail:
                fits_any = any(q and q[0][2] + 2 * pad <= avail for q in queues)
                page_empty = abs(self.y - self.grid_top) < 0.5
                if page_empty and (not fits_any or min_h > avail):
                    raise ValueError("a card is taller than a page")  # the text limits rule this out
                # a row that fits on a fresh page moves there whole instead of being split
                if not page_empty and (not fits_any or min_h > avail or want <= self.grid_top - self.body_bottom):
                    self._grid_page(section, heads, xs, col_w, lane_w, cont=True)
                    continue
            taken = []
            for q in queues:
                used, n = 2 * pad, 0
                for _card, _block, h in q:
                    need = h + (gap if n else 0)
                    if used + need > avail:
                        break
                    used += need
                    n += 1
                taken.append(n)
            row_h = max(min_h, *[2 * pad + sum(h for _, _, h in q[:n]) + gap * max(0, n - 1)
                                 for q, n in zip(queues, taken)])
            p = self.page
            top = self.y
            lb = p.rect(m, top - row_h, lane_w, row_h, fill=fill, kind="lane", ref=lane["id"])
            p.block(lane_block, m + 6, top - 6, box=lb)
            for x, q, n in zip(xs, queues, taken):
                p.rect(x, top - row_h, col_w, row_h, fill=tint, kind="cell")
                cy = top - pad
                for card, block, h in q[:n]:
                    box = p.rect(x + pad, cy - h, col_w - 2 * pad, h, fill=white, stroke=RULE, line_width=0.5,
                                 radius=2, kind="card", ref=card["id"])
                    p.rect(x + pad, cy - h, 3, h, fill=fill, kind="stripe")
                    p.block(block, x + pad + 8, cy - 5, box=box)
                    if card.get("votes"):
                        self.vote_badge(p, card, x + col_w - pad - 3, cy - 3)
                    cy -= h + gap
            for i, n in enumerate(taken):
                queues[i] = queues[i][n:]
            self.y = top - row_h - 3
            if not any(queues):
                return
            first = False
            self._grid_page(section, heads, xs, col_w, lane_w, cont=True)

    # -- generic table ----------------------------------------------------------------------------
    def table(self, section: str, columns: list[tuple[str, float]], rows: list[list[Block]], *,
              accent=NAVY) -> None:
        """Rows of measured cells; the header row repeats on every page the table runs onto."""
        m = self.margin
        total = sum(w for _, w in columns)
        scale = (self.W - 2 * m) / total
        widths = [w * scale for _, w in columns]

        def header():
            p = self.page
            hb = p.rect(m, self.y - 18, self.W - 2 * m, 18, fill=accent, kind="thead")
            x = m
            for (label, _), w in zip(columns, widths):
                p.text(x + 6, self.y - 12.5, label, BOLD, 8.5, white, box=hb)
                x += w
            self.y -= 18

        self.ensure(60, section)
        header()
        for n, row in enumerate(rows):
            h = max(b.height for b in row) + 10
            if self.y - h < self.body_bottom:
                self.new_page(section)
                header()
            p = self.page
            box = p.rect(m, self.y - h, self.W - 2 * m, h, fill=PAPER_TINT if n % 2 else white, kind="row")
            x = m
            for block, w in zip(row, widths):
                p.block(block, x + 6, self.y - 5, box=box)
                x += w
            self.y -= h
        self.y -= 14

    def widths(self, columns):
        total = sum(w for _, w in columns)
        return [w * (self.W - 2 * self.margin) / total - 12 for _, w in columns]

    # -- prioritised innovations --------------------------------------------------------------------
    def innovations(self) -> None:
        r = self.report
        section = "Innovaties op volgorde van stemmen"
        lanes = {lane["id"]: lane for lane in r["lanes"]}
        phase_no = {ph["id"]: n for n, ph in enumerate(r["phases"], 1)}
        phases = {ph["id"]: ph for ph in r["phases"]}
        cards = [c for c in r["cards"] if lanes.get(c["lane_id"], {}).get("kind") == "innovations"]
        if not cards:
            cards = list(r["cards"])
        order = {c["id"]: n for n, c in enumerate(r["cards"])}
        cards.sort(key=lambda c: (-(c.get("votes") or 0), phase_no.get(c["phase_id"], 0), order[c["id"]]))
        self.new_page(section)
        self.heading(section, section, sub="Alle dienstinnovaties van het bord, de meeste stemmen eerst.")
        if not cards:
            self.page.text(self.margin, self.y - 12, "Er zijn geen kaarten.", ITALIC, 9, MUTED)
            return
        columns = [("#", 3), ("Innovatie", 30), ("Fase", 14), ("Kanalen", 14), ("Stemmen", 6)]
        ws = self.widths(columns)
        rows = []
        for n, c in enumerate(cards, 1):
            ph = phases.get(c["phase_id"], {})
            title = Block(ws[1]).add(c["title"], BOLD, 8.6, INK)
            if c.get("statement"):
                title.add(c["statement"], ITALIC, 7.8, MUTED, space_before=1.5)
            rows.append([
                Block(ws[0]).add(str(n), BOLD, 8.6, MUTED),
                title,
                Block(ws[2]).add(f"{phase_no.get(c['phase_id'], '')}. "
                                 f"{ph.get('desired_name') or ph.get('current_name') or ''}", REGULAR, 8, INK),
                Block(ws[3]).add(", ".join(c.get("channels") or []) or "—", REGULAR, 8, INK),
                Block(ws[4]).add(str(c.get("votes") or 0), BOLD, 10, HexColor("#D9731E")),
            ])
        self.table(section, columns, rows, accent=HexColor("#D9731E"))

    # -- columns that flow onto next pages -------------------------------------------------------------
    def columns(self, section: str, heads: list[tuple[str, object]], items: list[list[Block]],
                widths: list[float], *, gap: float = 8.0, item_gap: float = 5.0) -> None:
        m = self.margin
        head_blocks = [Block(w - 12).add(t, BOLD, 9.5, white) for (t, _), w in zip(heads, widths)]
        head_h = max(b.height for b in head_blocks) + 10
        queues = [list(col) for col in items]
        first = True
        while True:
            need = head_h + 8 + min([q[0].height for q in queues if q] or [0])
            if self.page is None or self.y - need < self.body_bottom:
                self.new_page(section)
            p = self.page
            x = m
            xs = []
            for (label, colour), w in zip(heads, widths):
                hb = p.rect(x, self.y - head_h, w, head_h, fill=colour, kind="colhead")
                blk = head_blocks[len(xs)] if first or not label else Block(w - 12).add(label + " (vervolg)", BOLD,
                                                                                      9.5, white)
                p.block(blk, x + 6, self.y - 5, box=hb)
                xs.append(x)
                x += w + gap
            self.y -= head_h + 6
            top = self.y
            lowest = top
            for i, (q, x, w) in enumerate(zip(queues, xs, widths)):
                cy = top
                n = 0
                for blk in q:
                    if cy - blk.height < self.body_bottom:
                        break
                    box = p.rect(x, cy - blk.height, w, blk.height, kind="item")
                    p.block(blk, x + 6, cy, box=box)
                    cy -= blk.height + item_gap
                    n += 1
                queues[i] = q[n:]
                lowest = min(lowest, cy)
            self.y = lowest - 6
            if not any(queues):
                return
            first = False
            self.new_page(section)

    # -- per phase ---------------------------------------------------------------------------------
    def per_phase(self) -> None:
        r = self.report
        section = "Per fase: huidige en gewenste situatie"
        self.new_page(section)
        self.heading(section, section,
                     sub="Voor elke fase wat de klant vandaag meemaakt, wat hij wil, en wat we daarvoor doen.")
        lanes = r["lanes"]
        m, gap = self.margin, 10.0
        avail = self.W - 2 * m - 2 * gap
        widths = [avail * 0.25, avail * 0.25, avail * 0.5]
        by_cell: dict[tuple, list] = {}
        for c in r["cards"]:
            by_cell.setdefault((c["phase_id"], c["lane_id"]), []).append(c)
        target_of = {"current": 0, "desired": 1}
        for n, ph in enumerate(r["phases"], 1):
            inners = [w - 12 for w in widths]
            cols: list[list[Block]] = [[], [], []]
            cols[0].append(Block(inners[0]).add(ph["current_name"] or "Geen: deze fase bestaat nu nog niet.",
                                                BOLD if ph["current_name"] else ITALIC, 9.5, INK))
            cols[1].append(Block(inners[1]).add(ph["desired_name"] or "—", BOLD, 9.5, INK))
            if ph.get("statement"):
                cols[1].append(Block(inners[1]).add(f"“{ph['statement']}”", ITALIC, 9, HexColor("#1F7A8C")))
            for lane in lanes:
                cards = by_cell.get((ph["id"], lane["id"]), [])
                if not cards:
                    continue
                i = target_of.get(lane["kind"], 2)
                inner = inners[i]
                colour = HexColor(LANE_COLOURS.get(lane["kind"], LANE_COLOURS["custom"])[0])
                cols[i].append(Block(inner).add(lane["name"].upper(), BOLD, 7.6, colour, space_before=3))
                for c in cards:
                    b = Block(inner).add(c["title"], BOLD, 8.4, INK, indent=10, bullet="•")
                    if c.get("statement"):
                        b.add(c["statement"], ITALIC, 7.8, MUTED, indent=10)
                    meta = ", ".join(c.get("channels") or [])
                    if c.get("votes"):
                        meta += (" · " if meta else "") + f"{c['votes']} stem" + ("men" if c["votes"] != 1 else "")
                    if meta:
                        b.add(meta, REGULAR, 7.4, MUTED, indent=10)
                    cols[i].append(b)
            if len(cols[2]) == 0:
                cols[2].append(Block(inners[2]).add("Nog geen innovaties of backoffice-maatregelen.", ITALIC, 8,
                                                    MUTED))
            self.ensure(90, section)
            label = f"Fase {n}" + (f" · {ph['desired_name']}" if ph["desired_name"] else "")
            self.page.text(m, self.y - 14, wrap(label, BOLD, 12, self.W - 2 * m)[0], BOLD, 12, NAVY)
            self.y -= 22
            self.columns(section, [("Huidige situatie", HexColor("#5E6E82")),
                                   ("Gewenste situatie", HexColor("#1F7A8C")),
                                   ("Wat we daarvoor doen: innovaties en backoffice", HexColor("#D9731E"))],
                         cols, widths, gap=gap, item_gap=3)
            self.y -= 8

    # -- formula plate -----------------------------------------------------------------------------------
    def plate(self) -> None:
        r = self.report
        section = "Formuleplaat"
        formula = r.get("formula")
        self.new_page(section)
        sub = "Wat de klant van ons mag verwachten (zekerheden) en wat we intern afspreken om dat waar te maken."
        self.heading("Formuleplaat" + (f": {formula['name']}" if formula else ""), section, sub=sub)
        m = self.margin
        for label, key, note in (("Zekerheden", "guarantees", "per marketinginstrument"),
                                 ("Interne afspraken", "agreements", "per bedrijfsvoeringsaspect")):
            groups = r["plate"][key]
            heads = list(groups)
            if not heads:
                continue
            self.ensure(70, section)
            self.page.text(m, self.y - 12, f"{label} ", BOLD, 12, NAVY)
            self.page.text(m + width(f"{label} ", BOLD, 12), self.y - 12, note, REGULAR, 9, MUTED)
            self.y -= 20
            gap = 8.0
            w = (self.W - 2 * m - gap * (len(heads) - 1)) / len(heads)
            items = []
            for h in heads:
                col = [Block(w - 12).add(t, REGULAR, 8.4, INK, indent=9, bullet="•") for t in groups[h]]
                if not col:
                    col = [Block(w - 12).add("Nog niets afgesproken.", ITALIC, 8, MUTED)]
                items.append(col)
            colours = [HexColor(PLATE_COLOURS[i % len(PLATE_COLOURS)]) for i in range(len(heads))]
            self.columns(section, list(zip(heads, colours)), items, [w] * len(heads), gap=gap)
            self.y -= 10

    # -- agenda and participants ----------------------------------------------------------------------------
    def agenda(self) -> None:
        r = self.report
        section = "Agenda en deelnemers"
        self.new_page(section)
        self.heading("Agenda", section)
        if r["agenda"]:
            columns = [("#", 3), ("Ronde", 18), ("Duur", 7), ("Toelichting", 40)]
            ws = self.widths(columns)
            rows = [[Block(ws[0]).add(str(n), BOLD, 8.6, MUTED), Block(ws[1]).add(a["name"], BOLD, 8.6, INK),
                     Block(ws[2]).add(duration(a["duration_seconds"]), REGULAR, 8.6, INK),
                     Block(ws[3]).add(a.get("instructions") or "—", REGULAR, 8.4, INK)]
                    for n, a in enumerate(r["agenda"], 1)]
            self.table(section, columns, rows)
            total = sum(a["duration_seconds"] for a in r["agenda"])
            self.page.text(self.margin, self.y, f"Totaal: {duration(total)}", BOLD, 9, MUTED)
            self.y -= 24
        else:
            self.page.text(self.margin, self.y - 10, "Geen agenda vastgelegd.", ITALIC, 9, MUTED)
            self.y -= 30
        self.ensure(80, section)
        self.heading("Deelnemers", section)
        names = r.get("participants")
        count = r.get("participant_count", 0)
        if names is None:
            self.page.text(self.margin, self.y - 10,
                           f"{count} deelnemer{'s' if count != 1 else ''} (de sessie was anoniem; namen worden "
                           "niet getoond).", REGULAR, 10, INK)
            self.y -= 24
            return
        if not names:
            self.page.text(self.margin, self.y - 10, "Er hebben geen deelnemers meegedaan.", ITALIC, 9, MUTED)
            return
        self.page.text(self.margin, self.y - 10, f"{count} deelnemer{'s' if count != 1 else ''}", REGULAR, 10, INK)
        self.y -= 22
        ncol = 4
        w = (self.W - 2 * self.margin) / ncol
        per = math.ceil(len(names) / ncol)
        cols = [[Block(w - 12).add(nm, REGULAR, 9, INK) for nm in names[i * per:(i + 1) * per]] for i in range(ncol)]
        cols = [c for c in cols if c]
        heads = [("Naam", MUTED)] + [("", MUTED)] * (len(cols) - 1)  # one band over all columns
        self.columns(section, heads, cols, [w] * len(cols), gap=0, item_gap=2)

    def build(self) -> list[Page]:
        self.cover()
        self.journey()
        self.innovations()
        self.per_phase()
        self.plate()
        self.agenda()
        return self.pages


# -- the draw pass ---------------------------------------------------------------------------------


def _chrome(layout: Layout, page: Page, number: int, total: int) -> None:
    """Header and footer of every page: section, session, date, page number."""
    r = layout.report
    m, W = layout.margin, layout.W
    s = r["session"]
    day = dutch_date(s.get("session_date") or s.get("created_at")) or dutch_date(r.get("generated_at"))
    top = layout.H - m
    page.text(m, top - 12, page.section, BOLD, 10, NAVY)
    right = s["title"] + (f" · {s['municipality']}" if s.get("municipality") else "")
    if width(right, REGULAR, 8.5) > W / 2:
        right = wrap(right, REGULAR, 8.5, W / 2 - 12)[0] + " …"
    page.text(W - m, top - 12, right, REGULAR, 8.5, MUTED, align="right")
    page.rect(m, top - 20, W - 2 * m, 1.2, fill=NAVY, kind="rule")
    page.rect(m, m + 12, W - 2 * m, 0.5, fill=RULE, kind="rule")
    page.text(m, m + 2, f"Pressure cooker · {day}" if day else "Pressure cooker", REGULAR, 7.5, MUTED)
    page.text(W - m, m + 2, f"Pagina {number} van {total}", REGULAR, 7.5, MUTED, align="right")


def _paint(canvas: Canvas, page: Page) -> None:
    """Rectangles straight on the canvas; text lines through one text object per run of
    consecutive lines (drawString would build a text object for every line: 3× slower)."""
    text = None
    font = colour = None
    for item in page.items:
        if item["op"] == "text":
            if text is None:
                text = canvas.beginText()
                font = colour = None
            if (item["font"], item["size"]) != font:
                font = (item["font"], item["size"])
                text.setFont(*font)
            if item["colour"] is not colour:
                colour = item["colour"]
                text.setFillColor(colour)
            text.setTextOrigin(item["x"], item["y"])
            text.textOut(item["text"])
            continue
        if text is not None:
            canvas.drawText(text)
            text = None
        if item["op"] == "rect":
            fill, stroke = item["fill"], item["stroke"]
            if fill is None and stroke is None:
                continue
            if fill is not None:
                canvas.setFillColor(fill)
            if stroke is not None:
                canvas.setStrokeColor(stroke)
                canvas.setLineWidth(item["line_width"])
            if item["radius"]:
                canvas.roundRect(item["x"], item["y"], item["w"], item["h"], item["radius"],
                                 stroke=int(stroke is not None), fill=int(fill is not None))
            else:
                canvas.rect(item["x"], item["y"], item["w"], item["h"], stroke=int(stroke is not None),
                            fill=int(fill is not None))
    if text is not None:
        canvas.drawText(text)


def geometry(page: Page, size: tuple[float, float]) -> dict:
    """Boxes and text lines of one page as plain data, for tests and debugging."""
    boxes, texts, index = [], [], {}
    for item in page.items:
        if item["op"] == "rect":
            index[id(item)] = len(boxes)
            boxes.append({k: item[k] for k in ("kind", "ref", "x", "y", "w", "h")})
    for item in page.items:
        if item["op"] == "text":
            texts.append({"text": item["text"], "x": item["x"], "y": item["y"], "w": item["w"],
                          "size": item["size"], "box": index.get(id(item["box"])) if item["box"] else None})
    return {"width": size[0], "height": size[1], "section": page.section, "boxes": boxes, "texts": texts}


def render_pdf(report: dict, *, pagesize: str = "A3", trace: list | None = None) -> bytes:
    """The report as PDF bytes. ``trace`` (a list) receives each page's geometry."""
    register_fonts()
    layout = Layout(report, pagesize)
    pages = layout.build()
    total = len(pages)
    for n, page in enumerate(pages, 1):
        _chrome(layout, page, n, total)
    buf = io.BytesIO()
    s = report["session"]
    canvas = Canvas(buf, pagesize=(layout.W, layout.H), pageCompression=1)
    canvas.setTitle(f"Verslag: {s['title']}")
    canvas.setAuthor(report.get("facilitator") or "")
    canvas.setSubject("Pressure cooker: klantreis en dienstinnovaties")
    canvas.setCreator("Pressure-cooker workshop app")
    for page in pages:
        _paint(canvas, page)
        canvas.showPage()
        if trace is not None:
            trace.append(geometry(page, (layout.W, layout.H)))
    canvas.save()
    return buf.getvalue()
