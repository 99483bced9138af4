"""Concurrency rules of the live board, with several real clients sending at the same time."""
from __future__ import annotations

import threading

import pytest

from tests.conftest import join, login
from tests.live_server import LiveServer, WsClient, http_client, session_cookie


@pytest.fixture
def room(app, facilitator, make_session):
    session_id, code = make_session(facilitator, formula="ontwerp")
    cookies = []
    fac = http_client(app)
    login(fac)
    cookies.append(session_cookie(fac))
    for i in range(4):
        c = http_client(app)
        join(c, code, f"Deelnemer {i + 1}")
        cookies.append(session_cookie(c))
    with LiveServer(app) as server:
        clients = [WsClient(server.ws_url(session_id), cookie, last_seq=None) for cookie in cookies]
        snapshot = clients[0].frames[0]["snapshot"]
        yield {"clients": clients, "phases": [p["id"] for p in snapshot["phases"]],
               "lanes": [lane["id"] for lane in snapshot["lanes"]], "seq": snapshot["seq"]}
        for c in clients:
            c.close()


def all_at_once(clients, action):
    """Run ``action(client, index)`` in one thread per client, released together."""
    barrier = threading.Barrier(len(clients))
    results, errors = [None] * len(clients), []

    def run(i, c):
        barrier.wait()
        try:
            results[i] = action(c, i)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


def replay(events, cards=None):
    """Apply event frames the way board.js does; returns {card id: card}."""
    cards = dict(cards or {})
    for e in events:
        d = e["data"]
        for cid, pos in (d.get("renumbered") or {}).items():
            if int(cid) in cards:
                cards[int(cid)]["position"] = pos
        if e["event"] == "card.add":
            cards[d["card"]["id"]] = dict(d["card"])
        elif e["event"] == "card.update" and d["id"] in cards:
            cards[d["id"]].update(d["changes"])
        elif e["event"] == "card.move" and d["id"] in cards:
            cards[d["id"]].update(phase_id=d["phase_id"], lane_id=d["lane_id"], position=d["position"])
        elif e["event"] == "card.delete":
            cards.pop(d["id"], None)
    return cards


def cell_order(cards, phase_id, lane_id):
    return [c["id"] for c in sorted(cards.values(), key=lambda c: (c["position"], c["id"]))
            if c["phase_id"] == phase_id and c["lane_id"] == lane_id]


def test_concurrent_moves_into_one_cell_end_in_the_same_order_everywhere(room):
    clients, phase, lane = room["clients"], room["phases"][0], room["lanes"][2]
    # each client adds two cards in other phases, then all move them into one cell at index 0 and 1 at once
    mine = []
    for i, c in enumerate(clients):
        ids = []
        for k in range(2):
            ack = c.apply("card.add", phase_id=room["phases"][1 + (i % 3)], lane_id=lane, title=f"{i}-{k}")
            ids.append(c.wait_for(lambda f: f["type"] == "event" and f["seq"] == ack["seq"]
                                  or False, 5)["data"]["card"]["id"]
                       if not any(e["seq"] == ack["seq"] for e in c.events())
                       else next(e for e in c.events() if e["seq"] == ack["seq"])["data"]["card"]["id"])
        mine.append(ids)
    before = max(c.seq for c in clients)

    def move(c, i):
        return [c.apply("card.move", id=card_id, phase_id=phase, lane_id=lane, index=k % 2)
                for k, card_id in enumerate(mine[i])]

    all_at_once(clients, move)
    final = before + 2 * len(clients)
    for c in clients:
        c.wait_seq(final)
    boards = [replay(c.events()) for c in clients]
    orders = [cell_order(b, phase, lane) for b in boards]
    assert len(orders[0]) == 2 * len(clients)
    assert all(o == orders[0] for o in orders)
    assert sorted(orders[0]) == sorted(cid for ids in mine for cid in ids)


def test_concurrent_edits_of_one_card_converge_last_writer_wins_per_field(room):
    clients, phase, lane = room["clients"], room["phases"][0], room["lanes"][2]
    ack = clients[0].apply("card.add", phase_id=phase, lane_id=lane, title="Begin", statement="Ik begin.")
    for c in clients:
        c.wait_seq(ack["seq"])
    card_id = next(e for e in clients[0].events() if e["seq"] == ack["seq"])["data"]["card"]["id"]

    def edit(c, i):
        # half edit the title, half the statement, each several times
        field = "title" if i % 2 == 0 else "statement"
        return [c.apply("card.update", id=card_id, **{field: f"{field} van {i} #{k}"}) for k in range(5)]

    all_at_once(clients, edit)
    final = ack["seq"] + 5 * len(clients)
    for c in clients:
        c.wait_seq(final)
    cards = [replay(c.events())[card_id] for c in clients]
    assert all(card == cards[0] for card in cards)
    # the last update of each field in the total order wins
    updates = [e for e in clients[0].events() if e["event"] == "card.update"]
    last_title = [e for e in updates if "title" in e["data"]["changes"]][-1]["data"]["changes"]["title"]
    last_statement = [e for e in updates if "statement" in e["data"]["changes"]][-1]["data"]["changes"]["statement"]
    assert (cards[0]["title"], cards[0]["statement"]) == (last_title, last_statement)


def test_editing_or_moving_a_card_someone_deleted_gives_a_clear_error(room):
    author, other = room["clients"][1], room["clients"][2]
    phase, lane = room["phases"][0], room["lanes"][2]
    ack = author.apply("card.add", phase_id=phase, lane_id=lane, title="Weg ermee")
    other.wait_seq(ack["seq"])
    card_id = next(e for e in other.events() if e["seq"] == ack["seq"])["data"]["card"]["id"]
    author.apply("card.delete", id=card_id)
    for op in ({"type": "card.update", "title": "Toch niet"}, {"type": "card.move", "phase_id": room["phases"][1]}):
        op_id = other.op(op.pop("type"), id=card_id, **op)
        err = other.reply_to(op_id)
        assert err["type"] == "error" and err["code"] == "unknown_card"
        assert "does not exist" in err["message"] or "bestaat niet" in err["message"]


def test_a_burst_from_everyone_reaches_everyone_in_one_total_order(room):
    clients, phase, lane = room["clients"], room["phases"], room["lanes"][2]

    def burst(c, i):
        for k in range(10):
            c.op("card.add", phase_id=phase[k % len(phase)], lane_id=lane, title=f"{i}/{k}")
        return None

    all_at_once(clients, burst)
    final = room["seq"] + 10 * len(clients)
    for c in clients:
        c.wait_seq(final, timeout=20)
    sequences = [[e["seq"] for e in c.events()] for c in clients]
    assert sequences[0] == list(range(room["seq"] + 1, final + 1))
    assert all(s == sequences[0] for s in sequences)
