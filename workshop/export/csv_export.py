"""All cards as CSV for a Dutch spreadsheet.

Dutch Excel reads a file as UTF-8 only with a byte-order mark, expects ``;``
(the comma is the decimal separator) and CRLF line ends. A cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as a
formula (CSV injection), so it gets a leading apostrophe.
"""
from __future__ import annotations

import csv
import io

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


def cards_csv(report: dict) -> bytes:
    """The report's cards, one row each, in grid order (phase, then lane, then position)."""
    anonymous = bool(report.get("anonymous"))
    phases = {p["id"]: (n, p) for n, p in enumerate(report["phases"], 1)}
    lanes = {lane["id"]: (n, lane) for n, lane in enumerate(report["lanes"], 1)}
    header = ["Fase nr.", "Fase (huidig)", "Fase (gewenst)", "Baan", "Titel", "Uitspraak", "Kanalen", "Stemmen"]
    if not anonymous:
        header.append("Auteur")
    order = {c["id"]: n for n, c in enumerate(report["cards"])}
    cards = sorted(report["cards"], key=lambda c: (phases.get(c["phase_id"], (0, None))[0],
                                                   lanes.get(c["lane_id"], (0, None))[0], order[c["id"]]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for c in cards:
        n, phase = phases.get(c["phase_id"], (0, {}))
        _m, lane = lanes.get(c["lane_id"], (0, {}))
        row = [n, phase.get("current_name") or "Geen", phase.get("desired_name", ""), lane.get("name", ""),
               c["title"], c.get("statement", ""), ", ".join(c.get("channels") or []), c.get("votes") or 0]
        if not anonymous:
            row.append(c.get("author") or "")
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8")
