"""All cards as CSV for a Dutch spreadsheet.

Dutch Excel reads a file as UTF-8 only with a byte-order mark, expects ``;``
(the comma is the decimal separator) and CRLF line ends. A cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as a
formula (CSV injection), so it gets a leading apostrophe.

One row per card; one column per channel that any card uses (besides the joined
list) and one per vote round, so a spreadsheet can filter and sum. The totals are
the report's, which are the board's (``report.board_total``).
"""
from __future__ import annotations

import csv
import io

from .labels import Labels, labels as labels_for

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


def cards_csv(report: dict, *, lang: str = "nl", labels: Labels | None = None) -> bytes:
    """The report's cards, one row each, in grid order (phase, then lane, then position)."""
    _ = labels or labels_for(lang)
    anonymous = bool(report.get("anonymous"))
    phases = {p["id"]: (n, p) for n, p in enumerate(report["phases"], 1)}
    lanes = {lane["id"]: (n, lane) for n, lane in enumerate(report["lanes"], 1)}
    rounds = report.get("vote_rounds") or []
    order = {c["id"]: n for n, c in enumerate(report["cards"])}
    cards = sorted(report["cards"], key=lambda c: (phases.get(c["phase_id"], (0, None))[0],
                                                   lanes.get(c["lane_id"], (0, None))[0], order[c["id"]]))
    channels: list[str] = []
    for c in cards:
        for ch in c.get("channels") or []:
            if ch not in channels:
                channels.append(ch)
    header = [_("Card id"), _("Phase number"), _("Phase (current)"), _("Phase (desired)"), _("Board row"),
              _("Title"), _("Statement"), _("Channels"), *[_("Channel: %(name)s", name=ch) for ch in channels],
              _("Origin"), *[_("Votes round %(n)s (%(lane)s)", n=r["number"], lane=r["lane_name"]) for r in rounds],
              _("Votes total")]
    if not anonymous:
        header.append(_("Author"))
    yes = _("yes")
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in header])
    for c in cards:
        n, phase = phases.get(c["phase_id"], (0, {}))
        _m, lane = lanes.get(c["lane_id"], (0, {}))
        own = c.get("channels") or []
        entry = c.get("library_entry")
        per_round = c.get("round_votes") or {}
        row = [c["id"], n, phase.get("current_name") or "", phase.get("desired_name", ""), lane.get("name", ""),
               c["title"], c.get("statement", ""), ", ".join(own), *[yes if ch in own else "" for ch in channels],
               _("Library: %(name)s", name=entry) if entry else _("Own card"),
               *[per_round.get(str(r["id"]), 0) if r["lane_id"] == c["lane_id"] or str(r["id"]) in per_round else ""
                 for r in rounds],
               c.get("votes") or 0]
        if not anonymous:
            row.append(c.get("author") or "")
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8")
