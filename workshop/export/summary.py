"""What the report concludes from the report dict, shared by the PDF and the HTML report:
the ranking (competition ranks), the top innovations and the one-paragraph summary."""
from __future__ import annotations

from .labels import Labels


def top_innovations(report: dict) -> list[tuple[int, dict]]:
    """The ranking of the innovations lane(s); of all cards when no innovation got a vote."""
    kinds = {lane["id"]: lane["kind"] for lane in report["lanes"]}
    return ranked([c for c in report["cards"] if kinds.get(c["lane_id"]) == "innovations"]) or ranked(report["cards"])


def ranked(cards: list[dict]) -> list[tuple[int, dict]]:
    """Cards with votes, most first, with competition ranks (1, 2, 2, 4): ties share a rank."""
    voted = sorted((c for c in cards if c.get("votes")), key=lambda c: -c["votes"])
    out, rank, previous = [], 0, None
    for n, c in enumerate(voted, 1):
        if c["votes"] != previous:
            rank, previous = n, c["votes"]
        out.append((rank, c))
    return out


def summary_line(report: dict, labels: Labels) -> str:
    """The cover's one-paragraph summary (the PDF's and the HTML report's)."""
    _ = labels
    r = report
    rounds = r.get("vote_rounds") or []
    text = _("%(people)s made %(cards)s in %(phases)s.",
             people=_.ngettext("%(n)s participant", "%(n)s participants", r.get("participant_count", 0)),
             cards=_.ngettext("%(n)s card", "%(n)s cards", len(r["cards"])),
             phases=_.ngettext("%(n)s phase", "%(n)s phases", len(r["phases"])))
    if rounds:
        text += " " + _.ngettext("Votes cast: %(votes)s, in %(n)s round.", "Votes cast: %(votes)s, in %(n)s rounds.",
                                 len(rounds), votes=sum(v["votes_cast"] for v in rounds))
        best = top_innovations(r)
        if best:
            text += " " + _("Most votes: %(title)s (%(votes)s).", title=best[0][1]["title"], votes=best[0][1]["votes"])
    return text


def report_view(report: dict, labels: Labels) -> dict:
    """What the HTML report shows besides the report dict: the same ranking and summaries as the PDF."""
    _ = labels
    cells: dict[tuple, list] = {}
    lane_counts: dict[int, int] = {}
    by_phase: dict[int, list] = {}
    for c in report["cards"]:
        cells.setdefault((c["phase_id"], c["lane_id"]), []).append(c)
        lane_counts[c["lane_id"]] = lane_counts.get(c["lane_id"], 0) + 1
        by_phase.setdefault(c["phase_id"], []).append(c)
    ranking = ranked(report["cards"])
    rest = len(report["cards"]) - len(ranking)
    count = report.get("participant_count", 0)
    return {
        "labels": labels, "summary": summary_line(report, labels), "cells": cells, "lane_counts": lane_counts,
        "ranking": ranking,
        "unranked": _.ngettext("%(n)s other card received no votes.", "%(n)s other cards received no votes.", rest)
        if rest and ranking else "",
        "lane_names": {lane["id"]: lane["name"] for lane in report["lanes"]},
        "phase_labels": {ph["id"]: f"{n}. {ph['desired_name'] or ph['current_name'] or ''}"
                         for n, ph in enumerate(report["phases"], 1)},
        "phase_top": {pid: ranked(cards)[:3] for pid, cards in by_phase.items()},
        "participants_line": _.ngettext("%(n)s participant (the session was anonymous; names are not shown).",
                                        "%(n)s participants (the session was anonymous; names are not shown).", count),
    }
