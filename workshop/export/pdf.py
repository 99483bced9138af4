"""The PDF report: a plain report dict (``report.build_report``) in, PDF bytes out.

Two passes. The *layout* pass places every box and every line of text on
pages as plain records (it wraps text itself with the font metrics, so it
knows each line's width); the *draw* pass paints those records with the
ReportLab canvas. Because the total page count is known before drawing,
every page can say "pagina 3 van 12" and the cover can list the contents with
page numbers, and the records double as the geometry that the tests check
(no text outside its box, no overlapping cards, contrast of every text).

The grid reads like the journey grids of the VNG formula plates: phases as
columns, every lane as a row on every sheet, the current and desired phase names
in their own lanes, compact cards with abbreviated channel chips and a legend.

User text is drawn with ``textOut``, which takes it literally: a card
titled ``<b>`` prints as ``<b>``; no Paragraph markup is ever parsed.
Labels come from the UI's catalogue (``labels.Labels``); the file is made
PDF/A-2b afterwards (``archive.make_archival``).
"""
from __future__ import annotations

import io
import math
from functools import lru_cache

import pyphen
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .fonts import BOLD, ITALIC, REGULAR, register_fonts
from .labels import Labels, labels as labels_for
from .summary import ranked, summary_line, top_innovations

# -- palette: VNG-like, calm, one colour per lane kind. Every text colour on every background
# it is drawn on reaches 4.5:1 (WCAG AA); tests/test_export_pdf.py computes it from the pages.
WHITE = HexColor("#FFFFFF")
NAVY = HexColor("#163A5F")
INK = HexColor("#1E2A36")
MUTED = HexColor("#55606E")
RULE = HexColor("#C9D3DD")
PAPER_TINT = HexColor("#F3F6F9")
CHIP = HexColor("#E3E9F0")
VOTE = HexColor("#B45309")  # dark orange: white on it is 5.0:1
LANE_COLOURS = {
    "current": ("#5E6E82", "#EEF1F5"),
    "desired": ("#1F7A8C", "#E6F2F4"),
    "innovations": ("#B45309", "#FCF1E7"),
    "backoffice": ("#6A4C93", "#F1ECF7"),
    "custom": ("#2F7048", "#EAF4ED"),
}
PLATE_COLOURS = ["#1F7A8C", "#B45309", "#163A5F", "#6A4C93", "#2F7048"]
COVER_ACCENT = HexColor("#BFD9EA")  # on navy: 8.0:1
COVER_CHIP = HexColor("#2C5A85")

# Short names for the channel chips of the grid; the legend under the grid spells them out.
CHANNEL_ABBREVIATIONS = {
    "Website (gemeente)": "Gem", "Website (DSO)": "DSO", "Website": "Web", "Telefoon": "Tel",
    "E-mail": "Mail", "Mail": "Mail", "Persoonlijk": "Pers", "SMS": "SMS", "SM (social media)": "SM",
    "SM": "SM", "Berichtenbox": "BBox", "Post": "Post", "WhatsApp": "WA", "Balie": "Balie", "Chat": "Chat",
}

# Binary (Flate only) page streams: ASCII85 on top makes files 25 % larger and costs a
# third of the render time; nothing here needs 7-bit-clean PDFs.
rl_config.useA85 = 0

MIN_SIZE = 7.0  # no text is printed smaller than this
TAG_LIMIT = 500  # cards up to which the PDF is tagged by default (40 people × 12 cards)
ASCENT, DESCENT = 0.93, 0.24  # of DejaVu Sans, per point of type size
HYPHENATOR = pyphen.Pyphen(lang="nl_NL")  # the users' text is Dutch, whatever the labels' language
# An inserted hyphen is the soft hyphen: DejaVu draws it as a hyphen, and text extraction and
# screen readers know it is no part of the word ("Dienstverle-|ningspakket" reads as one word).
SOFT_HYPHEN = "\u00ad"


def duration(seconds: int) -> str:
    minutes = max(0, int(seconds or 0)) // 60
    if minutes >= 60:
        return f"{minutes // 60} u {minutes % 60:02d} min"
    return f"{minutes} min"


def abbreviation(channel: str) -> str:
    return CHANNEL_ABBREVIATIONS.get(channel) or channel.split(" ")[0][:5]


# -- text measuring and wrapping --------------------------------------------------------------------


@lru_cache(maxsize=65536)
def width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _break_word(word: str, font: str, size: float, limit: float) -> list[str]:
    """A word wider than the column in pieces that fit: after a hyphen or slash it has, else at a
    Dutch hyphenation point with a (soft) hyphen added; only a word with no such point that fits is
    cut between letters, and then it gets a hyphen too (never an unmarked break)."""
    pieces: list[str] = []
    rest = word
    while width(rest, font, size) > limit and len(rest) > 1:
        cut = 0
        for n in range(len(rest) - 1, 0, -1):  # the longest head that fits
            if rest[n - 1] in "-/" and width(rest[:n], font, size) <= limit:
                cut = n
                break
        hyphen_cut = 0
        for n in reversed(HYPHENATOR.positions(rest)):
            if width(rest[:n] + SOFT_HYPHEN, font, size) <= limit:
                hyphen_cut = n
                break
        if hyphen_cut > cut:
            pieces.append(rest[:hyphen_cut] + SOFT_HYPHEN)
            rest = rest[hyphen_cut:]
        elif cut:
            pieces.append(rest[:cut])
            rest = rest[cut:]
        else:
            n = 1
            while n < len(rest) - 1 and width(rest[:n + 1] + SOFT_HYPHEN, font, size) <= limit:
                n += 1
            pieces.append(rest[:n] + SOFT_HYPHEN)
            rest = rest[n:]
    pieces.append(rest)
    return pieces


@lru_cache(maxsize=32768)
def _wrap(text: str, font: str, size: float, limit: float, first_limit: float | None) -> tuple[str, ...]:
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
                parts = _break_word(word, font, size, room())
                lines.append(parts[0])
                # the rest of the word, without the hyphens inserted for the narrower first line
                rest = "".join(part.removesuffix(SOFT_HYPHEN) for part in parts[1:])
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
    return tuple(lines)


def wrap(text: str, font: str, size: float, limit: float, first_limit: float | None = None) -> list[str]:
    """Lines of at most ``limit`` points (``first_limit`` for the first line of the text)."""
    return list(_wrap(text or "", font, size, round(limit, 2),
                      None if first_limit is None else round(first_limit, 2)))


INHERIT = object()  # Page.text: the text belongs to the page's current structure element
ARTIFACT = object()  # _paint: a run of text that is no content (running headers, footers)


class Node:
    """An element of the PDF's structure tree (tagged PDF): a role, its kids in reading order
    (elements, or (page index, marked-content id) pairs filled in while painting)."""

    __slots__ = ("role", "kids", "alt")

    def __init__(self, role: str, parent: "Node | None" = None, *, first: bool = False):
        self.role, self.kids, self.alt = role, [], None
        if parent is not None:
            parent.kids.insert(0, self) if first else parent.kids.append(self)


class Block:
    """Wrapped pieces of text (and rows of chips) stacked in a column of a fixed width."""

    def __init__(self, inner_width: float):
        self.inner_width = inner_width
        # text lines: (text, font, size, colour, lead, dx, tag); chip rows: ("", None, size, chips, lead, 0, tag)
        self.lines: list[tuple] = []
        self.bullets: list[tuple[int, str]] = []  # (line index, bullet character)
        self.height = 0.0

    def add(self, text: str, font: str = REGULAR, size: float = 8.0, colour=INK, *, lead: float | None = None,
            space_before: float = 0.0, indent: float = 0.0, bullet: str | None = None,
            reserve: float = 0.0, tag: Node | None = None) -> "Block":
        """``reserve``: room kept free at the right of the block's first line (for a badge);
        ``tag``: the structure element of these lines (else the page's current one)."""
        lead = lead or size * 1.2
        limit = self.inner_width - indent
        lines = wrap(text, font, size, limit, first_limit=limit - reserve if reserve and not self.lines else None)
        if not lines:
            return self
        self.height += space_before
        for n, line in enumerate(lines):
            self.lines.append((line, font, size, colour, lead + (space_before if n == 0 else 0), indent, tag))
            self.height += lead
        if bullet:
            self.bullets.append((len(self.lines) - len(lines), bullet))
        return self

    def chips(self, names: list[str], size: float = MIN_SIZE, *, space_before: float = 2.0) -> "Block":
        """Small rounded labels in rows that wrap within the block."""
        pad, gap, lead = 2.2, 2.0, size * 1.55
        rows: list[list[tuple[float, str, float]]] = [[]]
        x = 0.0
        for name in names:
            w = width(name, BOLD, size) + 2 * pad
            if rows[-1] and x + w > self.inner_width:
                rows.append([])
                x = 0.0
            rows[-1].append((x, name, w))
            x += w + gap
        for n, row in enumerate(rows):
            if row:
                self.lines.append(("", None, size, row, lead + (space_before if n == 0 else 0), 0.0, None))
                self.height += lead + (space_before if n == 0 else 0)
        return self


# -- the layout pass -------------------------------------------------------------------------------


class Page:
    def __init__(self, section: str):
        self.section = section
        self.items: list[dict] = []
        self.outline: str | None = None  # an outline (bookmark) entry starts here
        self.tag: Node | None = None  # the structure element new text belongs to (None: an artifact)
        self.heading: Node | None = None  # the running header's section title is this page's heading

    def rect(self, x, y, w, h, *, fill=None, stroke=None, line_width=0.6, radius=0.0, kind="box", ref=None):
        item = {"op": "rect", "x": x, "y": y, "w": w, "h": h, "fill": fill, "stroke": stroke,
                "line_width": line_width, "radius": radius, "kind": kind, "ref": ref}
        self.items.append(item)
        return item

    def text(self, x, y, text, font, size, colour, *, box=None, align="left", tag=INHERIT):
        """``tag``: the structure element of this text; by default the page's current one; None: an artifact."""
        w = width(text, font, size)
        if align == "right":
            x -= w
        elif align == "center":
            x -= w / 2
        self.items.append({"op": "text", "x": x, "y": y, "w": w, "size": size, "text": text, "font": font,
                           "colour": colour, "box": box, "tag": self.tag if tag is INHERIT else tag})

    def block(self, block: Block, x: float, top: float, *, box=None) -> float:
        """Draw a measured block with its top-left at (x, top); returns the y below it."""
        y = top
        bullets = dict(block.bullets)
        for n, (text, font, size, colour, lead, dx, tag) in enumerate(block.lines):
            y -= lead
            if font is None:  # a row of chips
                h = size * 1.35
                base = y + (size * 1.55 - h) * 0.5
                for cx, name, w in colour:
                    chip = self.rect(x + cx, base, w, h, fill=CHIP, radius=1.5, kind="chip")
                    self.text(x + cx + 2.2, base + (h - (ASCENT - DESCENT) * size) * 0.5 - 0.2, name, BOLD, size,
                              INK, box=chip, tag=INHERIT if tag is None else tag)
                continue
            # DejaVu glyphs reach 0.93 em above and 0.24 em below the baseline: centre that in the line
            baseline = y + (lead - (ASCENT + DESCENT) * size) * 0.5 + DESCENT * size
            tag = INHERIT if tag is None else tag
            if n in bullets:
                self.text(x + dx - 7, baseline, bullets[n], font, size, colour, box=box, tag=tag)
            self.text(x + dx, baseline, text, font, size, colour, box=box, tag=tag)
        return y


class Layout:
    def __init__(self, report: dict, pagesize: str, labels: Labels):
        a4 = str(pagesize).upper() == "A4"
        self.report = report
        self._ = labels
        self.a4 = a4
        self.W, self.H = landscape(A4 if a4 else A3)
        self.margin = 22.0 if a4 else 26.0
        self.body_top = self.H - self.margin - 26
        self.body_bottom = self.margin + 18
        self.pages: list[Page] = []
        self.page: Page | None = None
        self.y = self.body_top
        self.sections: list[tuple[str, int]] = []  # (title, index of its first page)
        self.doc = Node("Document")  # the structure tree, in reading order
        self.sect: Node = self.doc
        self.current: Node | None = None
        # grid type sizes: nothing below MIN_SIZE
        self.grid_scale = 1.0  # larger type on a grid that has room for it (see journey)
        self.phase_no = {ph["id"]: n for n, ph in enumerate(report["phases"], 1)}
        self.lanes = {lane["id"]: lane for lane in report["lanes"]}
        self.phases = {ph["id"]: ph for ph in report["phases"]}

    # pages and the flow cursor
    def new_page(self, section: str) -> Page:
        self.page = Page(section)
        self.page.tag = self.current
        self.pages.append(self.page)
        self.y = self.body_top
        return self.page

    def tag(self, role: str, parent: Node | None = None) -> Node:
        """A new structure element (under ``parent``, else the section) that new text belongs to."""
        node = Node(role, parent or self.sect)
        self.current = node
        if self.page is not None:
            self.page.tag = node
        return node

    def start_section(self, title: str) -> Page:
        self.sect = Node("Sect", self.doc)
        self.current = None
        page = self.new_page(title)
        page.outline = title
        self.sections.append((title, len(self.pages) - 1))
        return page

    def continued(self, section: str) -> str:
        return self._("%(section)s (continued)", section=section)

    def ensure(self, height: float, section: str) -> None:
        if self.page is None or self.y - height < self.body_bottom:
            self.new_page(self.continued(section))

    def heading(self, text: str, *, sub: str = "", level: int = 1) -> None:
        p = self.page
        p.text(self.margin, self.y - 18, text, BOLD, 16, NAVY, tag=self.tag(f"H{level}"))
        self.y -= 24
        if sub:
            b = Block(self.W - 2 * self.margin).add(sub, REGULAR, 9, MUTED, tag=self.tag("P"))
            self.y = p.block(b, self.margin, self.y)
        self.y -= 10

    def phase_label(self, phase_id) -> str:
        ph = self.phases.get(phase_id) or {}
        name = ph.get("desired_name") or ph.get("current_name") or ""
        return f"{self.phase_no.get(phase_id, '')}. {name}".strip()

    # -- cover (laid out last: it lists the other sections with their page numbers) ------------
    def cover(self) -> Page:
        _ = self._
        r = self.report
        s = r["session"]
        p = Page(_("Report"))
        p.outline = _("Cover and summary")
        sect = Node("Sect", self.doc, first=True)  # laid out last, read first

        def tag(role: str, parent: Node | None = None) -> Node:
            p.tag = Node(role, parent or sect)
            return p.tag

        m, W = self.margin, self.W
        top = self.body_top
        x = m + 30
        inner = W - 2 * m - 60
        p.text(x, top - 34, _("PRESSURE COOKER REPORT · CUSTOMER JOURNEY AND SERVICE INNOVATIONS"), BOLD, 10,
               COVER_ACCENT, tag=tag("P"))
        tag("H1")
        big = 30 if not self.a4 else 22
        y = p.block(Block(inner).add(s["title"] or _("Session"), BOLD, big, WHITE, lead=big * 1.18), x, top - 44)
        sub = " · ".join(t for t in (s["municipality"], s["product"], _.date(s.get("session_date") or
                                                                            s.get("created_at"))) if t)
        if sub:
            tag("P")
            y = p.block(Block(inner).add(sub, REGULAR, 14 if not self.a4 else 12, WHITE), x, y - 4)
        formula = r.get("formula")
        if formula:
            y -= 10
            tag("P")
            y = p.block(Block(inner).add(formula["name"], BOLD, 13, COVER_ACCENT), x, y)
            if formula.get("tagline"):
                y = p.block(Block(inner).add(f"“{formula['tagline']}”", ITALIC, 12, WHITE), x, y - 2)
            cx, cy = x, y - 22
            values = tag("L")
            for value in formula.get("core_values") or []:
                tag("LI", values)
                w = width(value, BOLD, 10) + 20
                if cx + w > x + inner:
                    break
                chip = p.rect(cx, cy, w, 18, fill=COVER_CHIP, radius=9, kind="chip")
                p.text(cx + 10, cy + 5.5, value, BOLD, 10, WHITE, box=chip)
                cx += w + 8
            y = cy - 4
        rounds = r.get("vote_rounds") or []
        cast = sum(v["votes_cast"] for v in rounds)
        summary = summary_line(r, _)
        tag("P")
        y = p.block(Block(inner).add(summary, REGULAR, 12 if not self.a4 else 10.5, WHITE), x, y - 12)
        band_h = top - y + 22
        p.items.insert(0, {"op": "rect", "x": m, "y": top - band_h, "w": W - 2 * m, "h": band_h, "fill": NAVY,
                           "stroke": None, "line_width": 0, "radius": 0, "kind": "band", "ref": None})
        # three columns under the band: facts, top innovations, contents
        gap = 24.0
        col_w = (W - 2 * m - 2 * gap) / 3
        y0 = top - band_h - 26
        xs = [m + i * (col_w + gap) for i in range(3)]
        lane_counts: dict[int, int] = {}
        for c in r["cards"]:
            lane_counts[c["lane_id"]] = lane_counts.get(c["lane_id"], 0) + 1
        facts = [
            (_("Date"), _.date(s.get("session_date") or s.get("created_at")) or "—"),
            (_("Municipality"), s.get("municipality") or "—"),
            (_("Facilitator"), r.get("facilitator") or "—"),
            (_("Participants"), str(r.get("participant_count", 0))),
            (_("Phases"), str(len(r["phases"]))),
            (_("Votes cast"), str(cast)),
            (_("Vote rounds"), str(len(rounds))),
        ]
        if formula:
            facts.insert(2, (_("Customer role"), formula.get("customer_role") or "—"))
        size = 10.5 if not self.a4 else 9.5
        tag("H2")
        self._cover_heading(p, xs[0], y0, _("Facts"))
        yy = y0 - 20
        label_w = col_w * 0.42
        table = tag("Table")
        for label, value in facts:
            row = Node("TR", table)
            b = Block(col_w - label_w).add(value, REGULAR, size, INK, tag=Node("TD", row))
            p.text(xs[0], yy - size, label, BOLD, size, MUTED, tag=Node("TH", row, first=True))
            yy = min(p.block(b, xs[0] + label_w, yy), yy - size * 1.3) - 3
        yy -= 6
        row = Node("TR", table)
        p.text(xs[0], yy - size, _("Cards per lane"), BOLD, size, MUTED, tag=Node("TH", row))
        tag("TD", row)
        for lane in r["lanes"]:
            b = Block(col_w - label_w).add(f"{lane['name']}: {lane_counts.get(lane['id'], 0)}", REGULAR, size, INK)
            yy = p.block(b, xs[0] + label_w, yy) - 1
        # top innovations
        tag("H2")
        self._cover_heading(p, xs[1], y0, _("Top innovations by votes"))
        top_cards = top_innovations(r)[:8]
        yy = y0 - 20
        if not top_cards:
            tag("P")
            p.block(Block(col_w).add(_("No votes were cast."), ITALIC, size, MUTED), xs[1], yy)
        ranking = tag("L") if top_cards else None
        for rank, c in top_cards:
            tag("LI", ranking)
            votes = str(c["votes"])
            b = Block(col_w - 24).add(c["title"], BOLD, size, INK, reserve=width(votes, BOLD, size - 1) + 6)
            b.add(self.phase_label(c["phase_id"]), REGULAR, size - 1.5, MUTED)
            if yy - b.height < self.body_bottom:
                break
            p.text(xs[1], yy - size - 1, f"{rank}.", BOLD, size, NAVY)
            p.text(xs[1] + col_w, yy - size - 1, votes, BOLD, size - 1, VOTE, align="right")
            yy = p.block(b, xs[1] + 24, yy) - 6
        # contents
        tag("H2")
        self._cover_heading(p, xs[2], y0, _("Contents"))
        yy = y0 - 20
        contents = tag("TOC")
        for title, index in self.sections:
            tag("TOCI", contents)
            number = str(index + 2)  # the cover is page 1 and comes before them all
            b = Block(col_w - 40).add(title, REGULAR, size, INK)
            below = p.block(b, xs[2], yy) - 4
            p.text(xs[2] + col_w, yy - size - 1, number, BOLD, size, INK, align="right")
            yy = below
        return p

    def _cover_heading(self, p: Page, x: float, y: float, text: str) -> None:
        p.text(x, y, text.upper(), BOLD, 9, MUTED)
        p.rect(x, y - 6, 60, 1.5, fill=NAVY, kind="rule")

    # -- journey grid -----------------------------------------------------------------------------
    def card_block(self, card: dict, inner: float, show_author: bool) -> Block:
        b = Block(inner)
        k = self.grid_scale
        b.add(card["title"], BOLD, 7.6 * k, INK, reserve=self.badge_width(card) + 2 if card.get("votes") else 0)
        if card.get("statement"):
            b.add(card["statement"], REGULAR, MIN_SIZE * k, MUTED, space_before=1)
        if card.get("channels"):
            b.chips([abbreviation(ch) for ch in card["channels"]], MIN_SIZE * k, space_before=1.5)
        if show_author and card.get("author"):
            b.add(card["author"], ITALIC, MIN_SIZE, MUTED, space_before=1)
        return b

    def badge_width(self, card: dict) -> float:
        return width(f"{card['votes']}", BOLD, 7.5 * self.grid_scale) + 7 * self.grid_scale

    def vote_badge(self, p: Page, card: dict, right: float, top: float) -> None:
        """The card's votes as a dark orange pill in its top-right corner."""
        k = self.grid_scale
        w = self.badge_width(card)
        badge = p.rect(right - w, top - 10.5 * k, w, 10 * k, fill=VOTE, radius=5 * k, kind="badge")
        p.text(right - w / 2, top - 8.0 * k, f"{card['votes']}", BOLD, 7.5 * k, WHITE, box=badge, align="center")

    def _grid_metrics(self):
        a4, k = self.a4, self.grid_scale
        return {"lane_w": (60.0 if a4 else 64.0) * k, "gap": 2.0, "pad": 3.0, "card_gap": 3.0,
                "min_col": (76.0 if a4 else 78.0) * k, "min_card": (70.0 if a4 else 72.0) * k}

    def column_widths(self, chunk, lanes, cells, g) -> list[float]:
        """Every phase its minimum width; the width left over goes, one card column at a time, to
        the phase whose fullest cell is tallest, so a crowded phase sets its cards side by side."""
        avail = self.W - 2 * self.margin - g["lane_w"] - g["gap"] * len(chunk)
        base = max(g["min_col"], avail / len(chunk)) if len(chunk) * g["min_col"] > avail else g["min_col"]
        widths = [base] * len(chunk)
        fullest = [max([len(cells.get((ph["id"], lane["id"]), [])) for lane in lanes] + [0]) for ph in chunk]
        columns = [1] * len(chunk)
        step = g["min_card"] + g["card_gap"]
        left = avail - sum(widths)
        while left >= step:
            i = max(range(len(chunk)), key=lambda i: (fullest[i] / columns[i], -i))
            if fullest[i] <= columns[i]:
                break
            widths[i] += step
            columns[i] += 1
            left -= step
        return [w + left / len(chunk) for w in widths]

    def journey(self) -> None:
        _ = self._
        r = self.report
        phases, lanes = r["phases"], r["lanes"]
        section = _("Customer journey")
        self.start_section(section)
        self.page.heading = Node("H1", self.sect)  # the grid's sheets have no heading but the running one
        if not phases or not lanes:
            self.heading(section, sub=_("This board has no phases or lanes yet."))
            return
        cells: dict[tuple, list] = {}
        for card in r["cards"]:
            cells.setdefault((card["phase_id"], card["lane_id"]), []).append(card)
        plan = self._plan_grid(phases, lanes, cells)
        groups = [(lanes, plan)]
        # a board whose lanes alone overfill a sheet (up to 12 lanes with long names beside long
        # statements) cannot show every lane on every sheet: then each sheet shows a group of lanes
        while any(p is None for _g, p in groups) and max(len(g) for g, _p in groups) > 1:
            halves = [half for g, _p in groups for half in (g[:(len(g) + 1) // 2], g[(len(g) + 1) // 2:]) if half]
            groups = [(g, self._plan_grid(phases, g, cells)) for g in halves]
        if any(p is None for _g, p in groups):
            raise ValueError("a card is taller than a page")  # the text limits rule this out
        # a grid with room to spare gets larger type, as long as it needs no more sheets (a grid
        # that already runs over has no room to spare: no need to try)
        if len(groups) == 1 and len(r["cards"]) <= 400 and plan[0][1] == 0:
            for scale in (1.6, 1.45, 1.3, 1.15):
                self.grid_scale = scale
                bigger = self._plan_grid(phases, lanes, cells)
                if bigger is not None and bigger[0] <= plan[0]:
                    groups = [(lanes, bigger)]
                    break
            else:
                self.grid_scale = 1.0
        g = self._grid_metrics()
        first = True
        for group, (_key, chunks, sheets, _n) in groups:
            for chunk, chunk_sheets in zip(chunks, sheets):
                for n, sheet in enumerate(chunk_sheets):
                    title = section if len(chunks) == 1 else _(
                        "%(section)s · phases %(first)s–%(last)s of %(total)s", section=section,
                        first=self.phase_no[chunk[0]["id"]], last=self.phase_no[chunk[-1]["id"]], total=len(phases))
                    if n:
                        title = self.continued(title)
                    if first:
                        self.page.section = title
                        first = False
                    else:
                        self.new_page(title)
                    self._draw_sheet(sheet, chunk, group, g, cont=n > 0)

    def _plan_grid(self, phases, lanes, cells):
        """As few sheets as possible (then as few continued sheets): try the fewest groups of
        phases, and a few more (wider columns hold cards side by side; a card too tall beside the
        other lanes needs wider columns); a very large board takes the first that works."""
        g = self._grid_metrics()
        avail_w = self.W - 2 * self.margin - g["lane_w"]
        most = max(1, int((avail_w + g["gap"]) // (g["min_col"] + g["gap"])))
        fewest = math.ceil(len(phases) / most)
        extra = 2 if len(self.report["cards"]) <= 400 else 0
        best = None
        for n_chunks in range(fewest, len(phases) + 1):
            if best is not None and n_chunks > best[3] + extra:
                break
            size = math.ceil(len(phases) / n_chunks)
            chunks = [phases[i:i + size] for i in range(0, len(phases), size)]
            try:
                sheets = [self._grid_sheets(chunk, lanes, cells, g) for chunk in chunks]
            except ValueError:
                continue
            count = sum(len(sh) for sh in sheets)
            key = (count, count - len(chunks))
            if best is None or key < best[0]:
                best = (key, chunks, sheets, n_chunks)
            if count == len(chunks):
                break
        return best

    def _phase_heads(self, chunk, col_ws):
        blocks = [Block(w - 8).add(f"{self.phase_no[ph['id']]}  {ph['desired_name'] or ph['current_name'] or ''}",
                                   BOLD, 7.6 * self.grid_scale, WHITE) for ph, w in zip(chunk, col_ws)]
        return blocks, max(b.height for b in blocks) + 7

    def _lane_blocks(self, lanes, g):
        return [Block(g["lane_w"] - 10).add(lane["name"], BOLD, 7.6 * self.grid_scale, WHITE) for lane in lanes]

    def _legend(self, chunk, lanes, cells) -> Block:
        used: list[str] = []
        for ph in chunk:
            for lane in lanes:
                for c in cells.get((ph["id"], lane["id"]), []):
                    for ch in c.get("channels") or []:
                        if ch not in used:
                            used.append(ch)
        b = Block(self.W - 2 * self.margin)
        if used:
            b.add(self._("Channels") + ":  " + "  ·  ".join(f"{abbreviation(ch)} = {ch}" for ch in used
                                                             if abbreviation(ch) != ch) +
                  "  ·  " + self._("The number in orange on a card: its votes."), REGULAR, MIN_SIZE, MUTED)
        return b

    def _cell_head(self, ph: dict, lane: dict, inner: float, cont: bool) -> Block | None:
        """The phase's own words in the lane that carries them: current name, desired name and statement."""
        if lane["kind"] == "current":
            if not ph.get("current_name"):
                return None
            b = Block(inner).add(ph["current_name"], BOLD, 8.0 * self.grid_scale, INK)
        elif lane["kind"] == "desired":
            if not ph.get("desired_name") and not ph.get("statement"):
                return None
            b = Block(inner)
            if ph.get("desired_name"):
                b.add(ph["desired_name"], BOLD, 8.0 * self.grid_scale, INK)
            if ph.get("statement") and not cont:
                b.add(ph["statement"], ITALIC, 7.4 * self.grid_scale, INK, space_before=1)
        else:
            return None
        return b

    def _grid_sheets(self, chunk, lanes, cells, g) -> list[list[list[dict]]]:
        """Split a group of phases into sheets; each sheet holds every lane: a sheet is a list, per
        lane, of ``{"cells": [{"head", "cards": [(card, block, column, offset, height, width)], "k"}],
        "height"}``. Raises ValueError when the lanes do not fit (then the caller tries otherwise)."""
        col_ws = self.column_widths(chunk, lanes, cells, g)
        inners = [w - 2 * g["pad"] for w in col_ws]
        k_maxes = [max(1, int((inner + g["card_gap"]) // (g["min_card"] + g["card_gap"]))) for inner in inners]
        show_author = not self.report.get("anonymous")
        _heads, head_h = self._phase_heads(chunk, col_ws)
        lane_blocks = self._lane_blocks(lanes, g)
        legend = self._legend(chunk, lanes, cells)
        avail = self.body_top - self.body_bottom - head_h - g["gap"] - (legend.height + 6 if legend.lines else 0)
        min_rows = [max(22.0, b.height + 10) for b in lane_blocks]
        # measured cards per cell, for the cell's card width
        queues: list[list[list]] = []
        kinds: list[list[int]] = []
        for lane in lanes:
            row, krow = [], []
            for pi, ph in enumerate(chunk):
                cards = cells.get((ph["id"], lane["id"]), [])
                k = max(1, min(k_maxes[pi], len(cards)))
                while True:  # fewer, wider cards side by side when one would stand taller than a third of a sheet
                    card_w = (inners[pi] - (k - 1) * g["card_gap"]) / k
                    blocks = [(c, self.card_block(c, card_w - 9, show_author)) for c in cards]
                    if k == 1 or max(b.height for _c, b in blocks) <= avail / 3:
                        break
                    k -= 1
                row.append(blocks)
                krow.append(k)
            queues.append(row)
            kinds.append(krow)
        sheets = []
        cont = False
        while True:
            sheet = []
            plans = []
            for li, lane in enumerate(lanes):
                row = []
                for pi, ph in enumerate(chunk):
                    head = self._cell_head(ph, lane, inners[pi], cont)
                    row.append((head, self._masonry(queues[li][pi], kinds[li][pi], inners[pi], g,
                                                    head.height + 4 if head else 0)))
                plans.append(row)
            # a lane's own phase names always print: its row is at least that tall
            floors = [max([min_rows[li]] + [head.height + 4 + 2 * g["pad"] for head, _ in plans[li] if head])
                      for li in range(len(lanes))]
            if sum(floors) + g["gap"] * (len(lanes) - 1) > avail:
                raise ValueError("the lanes alone overfill a sheet")
            remaining = avail
            for li, lane in enumerate(lanes):
                reserve = sum(floors[li + 1:]) + g["gap"] * (len(lanes) - li - 1)
                room = max(floors[li], remaining - reserve - g["gap"])
                row_cells = []
                used = floors[li]
                for pi, ph in enumerate(chunk):
                    head, (placed, _h) = plans[li][pi]
                    fit = []
                    for item in placed:
                        if item[3] + item[4] + 2 * g["pad"] > room:
                            break
                        fit.append(item)
                    queues[li][pi] = queues[li][pi][len(fit):]
                    height = max([head.height + 4 if head else 0] + [it[3] + it[4] for it in fit]) + 2 * g["pad"]
                    used = max(used, height if (fit or head) else 0)
                    row_cells.append({"head": head, "cards": fit, "k": kinds[li][pi]})
                row_h = max(used, floors[li])
                remaining -= row_h + g["gap"]
                sheet.append({"cells": row_cells, "height": row_h})
            sheets.append(sheet)
            if not any(q for row in queues for q in row):
                return sheets
            if not any(cell["cards"] for lane_row in sheet for cell in lane_row["cells"]) and cont:
                raise ValueError("a card is taller than this sheet's room for it")
            cont = True

    def _masonry(self, items, k, inner_cell, g, offset):
        """Cards of a cell in ``k`` side-by-side columns, each next card under the shortest one."""
        card_w = (inner_cell - (k - 1) * g["card_gap"]) / k
        heights = [offset] * k
        placed = []
        for card, block in items:
            h = block.height + 7
            col = min(range(k), key=lambda i: heights[i]) if k > 1 else 0
            placed.append((card, block, col, heights[col], h, card_w))
            heights[col] += h + g["card_gap"]
        return placed, max(heights) - (g["card_gap"] if items else 0)

    def _draw_sheet(self, sheet, chunk, lanes, g, cont: bool) -> None:
        p = self.page
        m = self.margin
        chunk_ids = {ph["id"] for ph in chunk}
        cells: dict[tuple, list] = {}
        for c in self.report["cards"]:
            if c["phase_id"] in chunk_ids:
                cells.setdefault((c["phase_id"], c["lane_id"]), []).append(c)
        col_ws = self.column_widths(chunk, lanes, cells, g)
        xs = [m + g["lane_w"] + g["gap"] + sum(col_ws[:i]) + i * g["gap"] for i in range(len(chunk))]
        heads, head_h = self._phase_heads(chunk, col_ws)
        top = self.y
        # the grid is a table for assistive technology: a header row of phases, a row per lane
        # whose header cell is the lane's name, and the cards of a cell as a list
        table = Node("Table", self.sect)
        head_row = Node("TR", table)
        corner = p.rect(m, top - head_h, g["lane_w"], head_h, fill=PAPER_TINT, kind="corner")
        p.tag = Node("TH", head_row)
        p.block(Block(g["lane_w"] - 8).add(self._("Phase"), BOLD, 7.6 * self.grid_scale, MUTED), m + 4, top - 3.5,
                box=corner)
        for x, col_w, block, ph in zip(xs, col_ws, heads, chunk):
            hb = p.rect(x, top - head_h, col_w, head_h, fill=NAVY, kind="head", ref=ph["id"])
            p.tag = Node("TH", head_row)
            p.block(block, x + 4, top - 3.5, box=hb)
        y = top - head_h - g["gap"]
        pad = g["pad"]
        for lane, lane_block, row in zip(lanes, self._lane_blocks(lanes, g), sheet):
            fill, tint = (HexColor(c) for c in LANE_COLOURS.get(lane["kind"], LANE_COLOURS["custom"]))
            h = row["height"]
            lb = p.rect(m, y - h, g["lane_w"], h, fill=fill, kind="lane", ref=lane["id"])
            tr = Node("TR", table)
            p.tag = Node("TH", tr)
            p.block(lane_block, m + 5, y - 4, box=lb)
            for x, col_w, cell in zip(xs, col_ws, row["cells"]):
                cb = p.rect(x, y - h, col_w, h, fill=tint, kind="cell")
                td = Node("TD", tr)
                if cell["head"] is not None:
                    p.tag = Node("P", td)
                    p.block(cell["head"], x + pad + 1, y - pad, box=cb)
                cards = Node("L", td) if cell["cards"] else None
                for card, block, col, offset, ch, card_w in cell["cards"]:
                    p.tag = Node("LI", cards)
                    cx = x + pad + col * (card_w + g["card_gap"])
                    cy = y - pad - offset
                    box = p.rect(cx, cy - ch, card_w, ch, fill=WHITE, stroke=RULE, line_width=0.4, radius=1.5,
                                 kind="card", ref=card["id"])
                    p.rect(cx, cy - ch, 2.2, ch, fill=fill, kind="stripe")
                    p.block(block, cx + 5.5, cy - 3.5, box=box)
                    if card.get("votes"):
                        self.vote_badge(p, card, cx + card_w - 2, cy - 2)
            y -= h + g["gap"]
        p.tag = Node("P", self.sect)
        legend = self._legend(chunk, lanes, cells)
        if legend.lines:
            p.block(legend, m, self.body_bottom + legend.height + 2)
        self.y = y

    # -- generic table ----------------------------------------------------------------------------
    def table(self, section: str, columns: list[tuple[str, float]], rows: list[list[Block]], *,
              accent=NAVY) -> None:
        """Rows of measured cells; the header row repeats on every page the table runs onto."""
        m = self.margin
        widths = [w * (self.W - 2 * m) / sum(w for _, w in columns) for _, w in columns]
        table = Node("Table", self.sect)
        first_header = [True]

        def header():
            p = self.page
            hb = p.rect(m, self.y - 18, self.W - 2 * m, 18, fill=accent, kind="thead")
            tr = Node("TR", table) if first_header[0] else None
            x = m
            for (label, _), w in zip(columns, widths):
                # a header row repeated on a next page is an artifact, read once
                p.text(x + 6, self.y - 12.5, label, BOLD, 8.5, WHITE, box=hb, tag=Node("TH", tr) if tr else None)
                x += w
            first_header[0] = False
            self.y -= 18

        self.ensure(60, section)
        self.current = None
        self.page.tag = None
        header()
        for n, row in enumerate(rows):
            h = max(b.height for b in row) + 10
            if self.y - h < self.body_bottom:
                self.new_page(self.continued(section))
                header()
            p = self.page
            box = p.rect(m, self.y - h, self.W - 2 * m, h, fill=PAPER_TINT if n % 2 else WHITE, kind="row")
            tr = Node("TR", table)
            x = m
            for block, w in zip(row, widths):
                p.tag = Node("TD", tr)
                p.block(block, x + 6, self.y - 5, box=box)
                x += w
            p.tag = None
            self.y -= h
        self.y -= 14

    def widths(self, columns):
        total = sum(w for _, w in columns)
        return [w * (self.W - 2 * self.margin) / total - 12 for _, w in columns]

    def text_line(self, text: str, font=REGULAR, size=9.5, colour=INK, section: str = "") -> None:
        b = Block(self.W - 2 * self.margin).add(text, font, size, colour, tag=self.tag("P"))
        self.ensure(b.height + 4, section)
        self.y = self.page.block(b, self.margin, self.y) - 4

    # -- prioritised innovations --------------------------------------------------------------------
    def innovations(self) -> None:
        _ = self._
        r = self.report
        section = _("Innovations by votes")
        self.start_section(section)
        self.heading(section, sub=_("Every card that received votes, most votes first. Cards with the same number "
                                    "of votes share a rank."))
        rounds = r.get("vote_rounds") or []
        if rounds:
            columns = [(_("Round"), 4), (_("Lane"), 24), (_("Votes per person"), 10), (_("At most per card"), 10),
                       (_("Voters"), 8), (_("Votes cast"), 8), (_("Closed"), 12)]
            ws = self.widths(columns)
            rows = [[Block(ws[0]).add(str(v["number"]), BOLD, 8.6, INK),
                     Block(ws[1]).add(v["lane_name"] or "—", BOLD, 8.6, INK),
                     Block(ws[2]).add(str(v["votes_per_participant"]), REGULAR, 8.6, INK),
                     Block(ws[3]).add(str(v["max_per_card"]), REGULAR, 8.6, INK),
                     Block(ws[4]).add(str(v["voters"]), REGULAR, 8.6, INK),
                     Block(ws[5]).add(str(v["votes_cast"]), BOLD, 8.6, INK),
                     Block(ws[6]).add(_.date(v["closed_at"]) if v["status"] == "closed" else _("revealed, still open"),
                                      REGULAR, 8.6, INK)]
                    for v in rounds]
            self.page.text(self.margin, self.y - 10, _("Vote rounds"), BOLD, 11, NAVY, tag=self.tag("H2"))
            self.y -= 16
            self.table(section, columns, rows)
            lanes_voted = [v["lane_id"] for v in rounds]
            if len(set(lanes_voted)) < len(lanes_voted):  # a lane voted on twice
                self.y += 8
                self.text_line(_("A later round on the same lane replaces the earlier result: a card's votes are "
                                 "those of the last round on its lane, as the board shows them."), ITALIC, 8.5,
                               MUTED, section)
                self.y -= 8
        voted = ranked(r["cards"])
        if not voted:
            self.text_line(_("No votes were cast."), ITALIC, 10, MUTED, section)
            return
        self.ensure(60, section)
        self.page.text(self.margin, self.y - 10, _("Ranking"), BOLD, 11, NAVY, tag=self.tag("H2"))
        self.y -= 16
        several = len(rounds) > 1
        columns = [(_("Rank"), 4), (_("Card"), 34), (_("Lane"), 13), (_("Phase"), 14), (_("Channels"), 12)]
        if several:
            columns.append((_("Per round"), 9))
        columns.append((_("Votes"), 6))
        ws = self.widths(columns)
        rows = []
        for rank, c in voted:
            title = Block(ws[1]).add(c["title"], BOLD, 8.6, INK)
            if c.get("statement"):
                title.add(c["statement"], ITALIC, 7.8, MUTED, space_before=1.5)
            row = [Block(ws[0]).add(str(rank), BOLD, 8.6, INK), title,
                   Block(ws[2]).add(self.lanes.get(c["lane_id"], {}).get("name", ""), REGULAR, 8, INK),
                   Block(ws[3]).add(self.phase_label(c["phase_id"]), REGULAR, 8, INK),
                   Block(ws[4]).add(", ".join(c.get("channels") or []) or "—", REGULAR, 8, INK)]
            if several:
                per = c.get("round_votes") or {}
                row.append(Block(ws[5]).add("  ".join(_("R%(n)s: %(votes)s", n=v["number"], votes=per[str(v["id"])])
                                                      for v in rounds
                                                      if str(v["id"]) in per) or "—", REGULAR, 8, INK))
            row.append(Block(ws[-1]).add(str(c["votes"]), BOLD, 10, VOTE))
            rows.append(row)
        self.table(section, columns, rows, accent=VOTE)
        rest = len(r["cards"]) - len(voted)
        if rest:
            self.text_line(_.ngettext("%(n)s other card received no votes.", "%(n)s other cards received no votes.",
                                      rest), ITALIC, 9.5, MUTED, section)

    # -- per phase: a summary, one row each ----------------------------------------------------------
    def per_phase(self) -> None:
        _ = self._
        r = self.report
        section = _("Per phase: current and desired")
        self.start_section(section)
        self.heading(section, sub=_("For each phase what the customer meets today, what they want, how many cards "
                                    "the group made, and the cards with the most votes."))
        by_phase: dict[int, list] = {}
        for c in r["cards"]:
            by_phase.setdefault(c["phase_id"], []).append(c)
        columns = [(_("Phase"), 4), (_("Today"), 18), (_("Desired"), 28), (_("Cards"), 18),
                   (_("Most votes (votes)"), 28)]
        ws = self.widths(columns)
        rows = []
        for n, ph in enumerate(r["phases"], 1):
            cards = by_phase.get(ph["id"], [])
            today = Block(ws[1]).add(ph["current_name"] or "", BOLD, 8.8, INK)  # not given: left empty
            desired = Block(ws[2]).add(ph["desired_name"] or "—", BOLD, 8.8, INK)
            if ph.get("statement"):
                desired.add(f"“{ph['statement']}”", ITALIC, 8.2, INK, space_before=1.5)
            counts = Block(ws[3])
            for lane in r["lanes"]:
                k = sum(1 for c in cards if c["lane_id"] == lane["id"])
                if k:
                    counts.add(f"{lane['name']}: {k}", REGULAR, 8.2, INK)
            if not counts.lines:
                counts.add(_("No cards"), ITALIC, 8.2, MUTED)
            top = Block(ws[4])
            for rank, c in ranked(cards)[:3]:
                top.add(f"{c['title']} ({c['votes']})", REGULAR, 8.2, INK,
                        indent=9, bullet="•")
            if not top.lines:
                top.add("—", REGULAR, 8.2, MUTED)
            rows.append([Block(ws[0]).add(str(n), BOLD, 9, INK), today, desired, counts, top])
        self.table(section, columns, rows)

    # -- formula plate -----------------------------------------------------------------------------------
    def plate(self) -> None:
        _ = self._
        r = self.report
        formula = r.get("formula") or {}
        section = _("Formula plate")
        self.start_section(section)
        m, W = self.margin, self.W
        name = formula.get("name")
        self.heading(_("Formula plate: %(name)s", name=name) if name else section)
        # the plate's head: description, tagline, core values, customer role, personas
        s = r["session"]
        tagline = s.get("tagline") or formula.get("tagline")
        personas = s.get("personas") or formula.get("personas") or []
        left_w = (W - 2 * m) * 0.62
        right_x = m + left_w + 24
        right_w = W - m - right_x
        y = self.y
        if formula.get("description"):
            self.tag("P")
            y = self.page.block(Block(left_w).add(formula["description"], REGULAR, 9.5, INK), m, y) - 6
        if tagline:
            self.tag("P")
            y = self.page.block(Block(left_w).add(f"“{tagline}”", ITALIC, 11, NAVY), m, y) - 4
        ry = self.y
        for label, value in ((_("Core values"), ", ".join(formula.get("core_values") or [])),
                             (_("Customer role"), formula.get("customer_role") or ""),
                             (_("Personas"), " · ".join(personas))):
            if not value:
                continue
            self.page.text(right_x, ry - 9, label.upper(), BOLD, 8, MUTED, tag=self.tag("H2"))
            self.tag("P")
            ry = self.page.block(Block(right_w).add(value, BOLD if label != _("Personas") else REGULAR, 9.5, INK),
                                 right_x, ry - 12) - 6
        self.y = min(y, ry) - 6
        # the two sides of the plate, as in the seed: Klantinterface (guarantees per marketing-mix
        # heading) and Bedrijfsvoering (internal agreements per business aspect)
        gap = 18.0
        side_w = (W - 2 * m - gap) / 2
        sides = [(_("Customer interface: guarantees"), r["plate"]["guarantees"]),
                 (_("Operations: internal agreements"), r["plate"]["agreements"])]
        top = self.y
        bottoms = []
        for i, (label, groups) in enumerate(sides):
            x = m + i * (side_w + gap)
            band = self.page.rect(x, top - 20, side_w, 20, fill=NAVY, kind="band")
            self.page.text(x + 8, top - 14, label, BOLD, 10.5, WHITE, box=band, tag=self.tag("H2"))
            bottoms.append(self._plate_side(groups, x, top - 26, side_w))
        self.y = min(bottoms) - 8

    def _plate_side(self, groups: dict[str, list[str]], x: float, top: float, w: float) -> float:
        """Headings as boxes in two columns, each box under the shorter column (continues on a next page)."""
        _ = self._
        gap = 8.0
        col_w = (w - gap) / 2
        boxes = []
        for n, (heading, items) in enumerate(groups.items()):
            b = Block(col_w - 14)
            head = Node("H3", self.sect)
            group = Node("L" if items else "P", self.sect)
            for t in items:
                b.add(t, REGULAR, 8.4 if self.a4 else 9.0, INK, indent=8, bullet="•", space_before=1,
                      tag=Node("LI", group))
            if not items:
                b.add(_("Nothing agreed yet."), ITALIC, 8.2, MUTED, tag=group)
            boxes.append((heading, HexColor(PLATE_COLOURS[n % len(PLATE_COLOURS)]), b, head))
        ys = [top, top]
        lowest = top
        for heading, colour, b, head in boxes:
            col = 0 if ys[0] >= ys[1] else 1
            h = b.height + 26
            if ys[col] - h < self.body_bottom:
                col = 0 if ys[0] >= ys[1] else 1
                if ys[col] - h < self.body_bottom:
                    self.new_page(self.continued(self._("Formula plate")))
                    ys = [self.y, self.y]
                    col = 0
            cx = x + col * (col_w + gap)
            y = ys[col]
            self.page.rect(cx, y - h, col_w, h, fill=WHITE, stroke=RULE, line_width=0.5, kind="platebox")
            hb = self.page.rect(cx, y - 17, col_w, 17, fill=colour, kind="colhead")
            self.page.text(cx + 7, y - 12, heading, BOLD, 9.5, WHITE, box=hb, tag=head)
            self.page.block(b, cx + 7, y - 21)
            ys[col] = y - h - gap
            lowest = min(lowest, ys[col])
        return lowest

    # -- agenda and participants ----------------------------------------------------------------------------
    def agenda(self) -> None:
        _ = self._
        r = self.report
        section = _("Agenda and participants")
        self.start_section(section)
        self.heading(_("Agenda"))
        if r["agenda"]:
            columns = [("#", 3), (_("Round"), 18), (_("Duration"), 7), (_("Instructions"), 40)]
            ws = self.widths(columns)
            rows = [[Block(ws[0]).add(str(n), BOLD, 8.6, MUTED), Block(ws[1]).add(a["name"], BOLD, 8.6, INK),
                     Block(ws[2]).add(duration(a["duration_seconds"]), REGULAR, 8.6, INK),
                     Block(ws[3]).add(a.get("instructions") or "—", REGULAR, 8.4, INK)]
                    for n, a in enumerate(r["agenda"], 1)]
            self.table(section, columns, rows)
            total = sum(a["duration_seconds"] for a in r["agenda"])
            self.page.text(self.margin, self.y, _("Total: %(time)s", time=duration(total)), BOLD, 9, MUTED,
                           tag=self.tag("P"))
            self.y -= 24
        else:
            self.text_line(_("No agenda was recorded."), ITALIC, 9, MUTED, section)
            self.y -= 16
        self.ensure(80, section)
        self.heading(_("Participants"))
        names = r.get("participants")
        count = r.get("participant_count", 0)
        if names is None:
            self.text_line(_.ngettext("%(n)s participant (the session was anonymous; names are not shown).",
                               "%(n)s participants (the session was anonymous; names are not shown).", count),
                           REGULAR, 10, INK, section)
            return
        if not names:
            self.text_line(_("No participants took part."), ITALIC, 9, MUTED, section)
            return
        self.text_line(_.ngettext("%(n)s participant", "%(n)s participants", count), REGULAR, 10, INK, section)
        self.y -= 6
        ncol = 4
        w = (self.W - 2 * self.margin) / ncol
        per = math.ceil(len(names) / ncol)
        top = self.y
        lowest = top
        people = self.tag("L")
        for i in range(ncol):
            y = top
            for nm in names[i * per:(i + 1) * per]:
                if y - 12 < self.body_bottom:
                    break
                y = self.page.block(Block(w - 12).add(nm, REGULAR, 9, INK, tag=Node("LI", people)),
                                    self.margin + i * w, y)
            lowest = min(lowest, y)
        shown = sum(1 for i in range(ncol) for _n in names[i * per:(i + 1) * per])
        self.y = lowest - 6
        if shown < len(names):  # pragma: no cover - more names than a page holds
            self.text_line(", ".join(names), REGULAR, 8, INK, section)

    def build(self) -> list[Page]:
        self.journey()
        self.innovations()
        self.per_phase()
        self.plate()
        self.agenda()
        self.pages.insert(0, self.cover())
        return self.pages


# -- the draw pass ---------------------------------------------------------------------------------


def _chrome(layout: Layout, page: Page, number: int, total: int) -> None:
    """Header and footer of every page: section, session, date, page number."""
    _ = layout._
    r = layout.report
    m, W = layout.margin, layout.W
    s = r["session"]
    day = _.date(s.get("session_date") or s.get("created_at")) or _.date(r.get("generated_at"))
    top = layout.H - m
    page.tag = None  # running headers and footers are pagination artifacts, not content
    page.text(m, top - 12, page.section, BOLD, 10, NAVY, tag=page.heading)
    right = s["title"] + (f" · {s['municipality']}" if s.get("municipality") else "")
    if width(right, REGULAR, 8.5) > W / 2:
        right = wrap(right, REGULAR, 8.5, W / 2 - 12)[0] + " …"
    page.text(W - m, top - 12, right, REGULAR, 8.5, MUTED, align="right")
    page.rect(m, top - 20, W - 2 * m, 1.2, fill=NAVY, kind="rule")
    page.rect(m, m + 12, W - 2 * m, 0.5, fill=RULE, kind="rule")
    brand = _("Pressure cooker")
    page.text(m, m + 2, f"{brand} · {day}" if day else brand, REGULAR, 7.5, MUTED)
    page.text(W - m, m + 2, _("Page %(n)s of %(total)s", n=number, total=total), REGULAR, 7.5, MUTED, align="right")


def _paint(canvas: Canvas, page: Page, index: int, tagged: bool = True) -> None:
    """Rectangles straight on the canvas; text lines through one text object per run of
    consecutive lines (drawString would build a text object for every line: 3× slower).

    Tagged PDF: every line of text is a marked-content sequence whose id (MCID) joins its
    structure element (``Node.kids``); boxes, rules and running headers are artifacts."""
    text = open_node = None
    previous = ""
    font = colour = None
    mcid = 0
    code = canvas._code  # ReportLab's page stream: marked-content operators go in as they are
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
            node = item["tag"] if item["tag"] is not None else ARTIFACT
            if tagged and node is not open_node:  # consecutive lines of one element share a sequence
                if open_node is not None:
                    text._code.append("EMC")
                if node is ARTIFACT:
                    text._code.append("/Artifact BMC")
                else:
                    text._code.append(f"/{node.role} <</MCID {mcid}>> BDC")
                    node.kids.append((index, mcid))
                    mcid += 1
                open_node = node
            elif tagged and node is not ARTIFACT and not previous.endswith(("-", SOFT_HYPHEN, "/")):
                text.textOut(" ")  # the next line of the same element: a word space for text extraction
            text.setTextOrigin(item["x"], item["y"])
            text.textOut(item["text"])
            previous = item["text"]
            continue
        if text is not None:
            if open_node is not None:
                text._code.append("EMC")  # a sequence never crosses the end of a text object
            open_node = None
            canvas.drawText(text)
            text = None
        if item["op"] == "rect":
            fill, stroke = item["fill"], item["stroke"]
            if fill is None and stroke is None:
                continue
            if tagged:
                code.append("/Artifact BMC")
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
            if tagged:
                code.append("EMC")
    if text is not None:
        if open_node is not None:
            text._code.append("EMC")
        canvas.drawText(text)


def _hex(colour) -> str | None:
    return None if colour is None else "#" + colour.hexval()[2:].upper()


def geometry(page: Page, size: tuple[float, float]) -> dict:
    """Boxes and text lines of one page as plain data, for tests and debugging.
    ``z`` is the drawing order: a text's background is the last filled box under it."""
    boxes, texts, index = [], [], {}
    for z, item in enumerate(page.items):
        if item["op"] == "rect":
            index[id(item)] = len(boxes)
            boxes.append({**{k: item[k] for k in ("kind", "ref", "x", "y", "w", "h")}, "fill": _hex(item["fill"]),
                          "z": z})
    for z, item in enumerate(page.items):
        if item["op"] == "text":
            texts.append({"text": item["text"], "x": item["x"], "y": item["y"], "w": item["w"],
                          "size": item["size"], "font": item["font"], "colour": _hex(item["colour"]), "z": z,
                          "box": index.get(id(item["box"])) if item["box"] else None})
    return {"width": size[0], "height": size[1], "section": page.section, "boxes": boxes, "texts": texts}


def render_pdf(report: dict, *, pagesize: str = "A3", labels: Labels | None = None, lang: str = "nl",
               trace: list | None = None, archival: bool = True, tagged: bool | None = None) -> bytes:
    """The report as PDF bytes in ``labels`` (or the catalogue's ``lang``; Dutch by default).

    ``tagged``: with a structure tree (tagged PDF); by default up to ``TAG_LIMIT`` cards, since
    the tree doubles the time of a report far larger than a session makes.

    ``trace`` (a list) receives each page's geometry; ``archival`` makes the file PDF/A-2b.
    """
    from .archive import make_archival

    labels = labels or labels_for(lang)
    if tagged is None:
        tagged = len(report["cards"]) <= TAG_LIMIT
    register_fonts()
    layout = Layout(report, pagesize, labels)
    pages = layout.build()
    total = len(pages)
    for n, page in enumerate(pages, 1):
        _chrome(layout, page, n, total)
    buf = io.BytesIO()
    s = report["session"]
    _ = labels
    title = _("Report: %(title)s", title=s["title"])
    # the initial font is ours, or ReportLab would reference an unembedded Helvetica (not PDF/A)
    canvas = Canvas(buf, pagesize=(layout.W, layout.H), pageCompression=1, initialFontName=REGULAR)
    canvas.setTitle(title)
    canvas.setAuthor(report.get("facilitator") or "")
    canvas.setSubject(_("Pressure cooker: customer journey and service innovations"))
    canvas.setCreator("Pressure-cooker workshop app")
    for n, page in enumerate(pages):
        if page.outline:
            key = f"s{n}"
            canvas.bookmarkPage(key)
            canvas.addOutlineEntry(page.outline, key, level=0)
        _paint(canvas, page, n, tagged)
        canvas.showPage()
        if trace is not None:
            trace.append(geometry(page, (layout.W, layout.H)))
    canvas.showOutline()
    canvas.save()
    data = buf.getvalue()
    if not archival:
        return data
    return make_archival(data, lang=labels.tag, title=title, structure=layout.doc if tagged else None)
