"""The websocket protocol against a real running server and real websocket clients."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from websockets.exceptions import InvalidStatus

from tests.conftest import join
from tests.live_server import LiveServer, WsClient, http_client, people_on_board, session_cookie


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def board(app, live, facilitator, make_session):
    """A session from a formula; a logged-in facilitator and two joined participants (cookies)."""
    session_id, code = make_session(facilitator, formula="ontwerp")
    fac, clients = people_on_board(app, code)
    people = [session_cookie(c) for c in clients]
    with WsClient(live.ws_url(session_id), session_cookie(fac), last_seq=None) as probe:
        snap = probe.frames[0]
    assert snap["type"] == "snapshot"
    snapshot = snap["snapshot"]
    return {
        "id": session_id, "code": code, "facilitator": session_cookie(fac), "participants": people,
        "phases": [p["id"] for p in snapshot["phases"]], "lanes": [lane["id"] for lane in snapshot["lanes"]],
        "snapshot": snapshot, "url": live.ws_url(session_id),
    }


def connect(board, who=0, **kw) -> WsClient:
    cookie = board["facilitator"] if who == "f" else board["participants"][who]
    return WsClient(board["url"], cookie, **kw)


def test_hello_answers_with_a_snapshot_or_nothing_missed(board):
    with connect(board, 0, last_seq=None) as c:
        assert [f["type"] for f in c.frames][:1] == ["snapshot"]
        assert c.synced["seq"] == board["snapshot"]["seq"]
    with connect(board, 0, last_seq=board["snapshot"]["seq"]) as c:
        assert c.frames[-1]["type"] == "synced"
        assert not c.events()


def test_an_operation_is_acknowledged_and_broadcast_to_everyone_in_order(board):
    with connect(board, "f") as f, connect(board, 0) as p, connect(board, 1) as a:
        phase, lane = board["phases"][0], board["lanes"][2]
        op_id = p.op("card.add", phase_id=phase, lane_id=lane, title="Track & Trace", statement="Ik zie de voortgang.")
        # the sender sees its own event before the ack
        event = p.wait_for(lambda fr: fr["type"] == "event")
        ack = p.reply_to(op_id)
        assert ack == {"type": "ack", "op_id": op_id, "seq": event["seq"], "duplicate": False}
        assert p.frames.index(event) < p.frames.index(ack)
        for other in (f, a):
            got = other.wait_for(lambda fr: fr["type"] == "event")
            assert got["event"] == "card.add" and got["data"]["card"]["title"] == "Track & Trace"
            assert got["op_id"] == op_id and got["seq"] == ack["seq"]


def test_all_clients_see_the_same_order_of_many_operations(board):
    clients = [connect(board, "f"), connect(board, 0), connect(board, 1)]
    try:
        phase, lane = board["phases"][0], board["lanes"][2]
        for i in range(10):
            for c in clients:
                c.op("card.add", phase_id=phase, lane_id=lane, title=f"{c} {i}")
        last = board["snapshot"]["seq"] + 30
        for c in clients:
            c.wait_seq(last)
        seqs = [[e["seq"] for e in c.events()] for c in clients]
        assert seqs[0] == list(range(board["snapshot"]["seq"] + 1, last + 1))
        assert seqs[0] == seqs[1] == seqs[2]
        assert [e["op_id"] for e in clients[0].events()] == [e["op_id"] for e in clients[2].events()]
    finally:
        for c in clients:
            c.close()


@pytest.mark.parametrize("frame, code", [
    ("{not json", "malformed"),
    ("[1, 2]", "malformed"),
    (json.dumps({"type": "shout"}), "unknown_type"),
    (json.dumps({"hello": 1}), "missing_field"),
    (json.dumps({"type": "op"}), "missing_field"),
    (json.dumps({"type": "op", "op": "card.add"}), "wrong_type"),
    (json.dumps({"type": "op", "op": {"type": "card.fly", "op_id": "x1"}}), "unknown_type"),
])
def test_bad_frames_get_an_error_frame_and_the_connection_stays_usable(board, frame, code):
    with connect(board, 0) as c:
        c.send(frame)
        err = c.wait_for(lambda f: f["type"] == "error")
        assert err["code"] == code and err["message"]
        c.apply("card.add", phase_id=board["phases"][0], lane_id=board["lanes"][2], title="Nog steeds verbonden")


def test_invalid_operations_get_an_error_with_the_op_id_and_change_nothing(board, app, facilitator, make_session):
    other_id, _ = make_session(facilitator, title="Andere sessie", formula="ontwerp")
    fac_other = WsClient(board["url"].rsplit("/", 1)[0] + f"/{other_id}", board["facilitator"], last_seq=None)
    other_snapshot = fac_other.frames[0]["snapshot"]
    reply = fac_other.apply("card.add", phase_id=other_snapshot["phases"][0]["id"],
                            lane_id=other_snapshot["lanes"][0]["id"], title="Elders")
    foreign_card = fac_other.wait_for(lambda f: f["type"] == "event" and f["seq"] == reply["seq"], 1) \
        if not fac_other.events() else fac_other.events()[-1]
    foreign_card_id = foreign_card["data"]["card"]["id"]
    fac_other.close()

    phase, lane = board["phases"][0], board["lanes"][2]
    cases = [
        ({"phase_id": phase, "lane_id": lane}, "missing_field"),                         # no title
        ({"phase_id": "een", "lane_id": lane, "title": "x"}, "wrong_type"),
        ({"phase_id": phase, "lane_id": lane, "title": "x" * 201}, "too_long"),
        ({"phase_id": phase, "lane_id": lane, "title": "x", "channels": ["duif"]}, "unknown_channel"),
        ({"phase_id": other_snapshot["phases"][0]["id"], "lane_id": lane, "title": "x"}, "unknown_phase"),
    ]
    with connect(board, 0) as c, connect(board, 1) as watcher:
        for fields, code in cases:
            op_id = c.op("card.add", **fields)
            err = c.reply_to(op_id)
            assert err["type"] == "error" and err["code"] == code, (fields, err)
            assert err["op_id"] == op_id and err["message"]
        op_id = c.op("card.update", id=foreign_card_id, title="Overgenomen")
        err = c.reply_to(op_id)
        assert err["code"] == "unknown_card"
        # nothing was broadcast for any of them
        c.apply("card.add", phase_id=phase, lane_id=lane, title="Geldig")
        first = watcher.wait_for(lambda f: f["type"] == "event")
        assert first["data"]["card"]["title"] == "Geldig"


def test_a_repeated_operation_id_is_applied_once(board):
    with connect(board, 0) as c, connect(board, 1) as watcher:
        fields = {"phase_id": board["phases"][0], "lane_id": board["lanes"][2], "title": "Eén keer"}
        op_id = str(uuid.uuid4())
        first = c.apply("card.add", op_id=op_id, **fields)
        again = c.apply("card.add", op_id=op_id, **fields)
        assert again["duplicate"] is True and again["seq"] == first["seq"]
        c.apply("card.add", phase_id=fields["phase_id"], lane_id=fields["lane_id"], title="Daarna")
        watcher.wait_seq(first["seq"] + 1)
        titles = [e["data"]["card"]["title"] for e in watcher.events()]
        assert titles == ["Eén keer", "Daarna"]


def test_a_client_that_was_away_catches_up_on_what_it_missed(board):
    phase, lane = board["phases"][0], board["lanes"][2]
    with connect(board, "f") as f:
        away = connect(board, 0)
        f.apply("card.add", phase_id=phase, lane_id=lane, title="Gezien")
        away.wait_for(lambda fr: fr["type"] == "event")
        last_seen = away.seq
        away.close()  # the laptop sleeps
        acks = [f.apply("card.add", phase_id=phase, lane_id=lane, title=f"Gemist {i}") for i in range(3)]
        back = connect(board, 0, last_seq=last_seen)
        missed = back.events()
        assert [e["seq"] for e in missed] == [a["seq"] for a in acks]
        assert [e["data"]["card"]["title"] for e in missed] == ["Gemist 0", "Gemist 1", "Gemist 2"]
        # and it stays live afterwards
        f.apply("card.add", phase_id=phase, lane_id=lane, title="Live")
        assert back.wait_for(lambda fr: fr["type"] == "event")["data"]["card"]["title"] == "Live"
        back.close()


def test_a_client_far_behind_or_ahead_gets_a_full_snapshot(board, app):
    app.config["WS_CATCHUP_MAX"] = 3
    phase, lane = board["phases"][0], board["lanes"][2]
    with connect(board, "f") as f:
        start = f.seq
        for i in range(5):
            f.apply("card.add", phase_id=phase, lane_id=lane, title=f"Kaart {i}")
    with connect(board, 0, last_seq=start) as behind:
        snap = behind.frames[0]
        assert snap["type"] == "snapshot" and snap["seq"] == start + 5
        assert {c["title"] for c in snap["snapshot"]["cards"]} >= {f"Kaart {i}" for i in range(5)}
    with connect(board, 0, last_seq=start + 99) as ahead:
        assert ahead.frames[0]["type"] == "snapshot"


def test_a_foreign_origin_is_refused_before_the_upgrade(board):
    with pytest.raises(InvalidStatus) as exc:
        connect(board, 0, origin="https://evil.example")
    assert exc.value.response.status_code == 403
    # the page's own origin is fine
    host = board["url"].split("/")[2]
    with connect(board, 0, origin=f"http://{host}") as c:
        assert c.synced


def test_without_a_login_or_a_participant_token_the_upgrade_is_refused(board, app, facilitator, make_session):
    with pytest.raises(InvalidStatus) as exc:
        WsClient(board["url"])
    assert exc.value.response.status_code == 404
    # a participant of another session is refused too
    _, other_code = make_session(facilitator, title="Andere sessie")
    stranger = http_client(app)
    join(stranger, other_code, "Vreemde")
    with pytest.raises(InvalidStatus) as exc:
        WsClient(board["url"], session_cookie(stranger))
    assert exc.value.response.status_code == 404


def test_a_removed_participant_is_disconnected_at_the_next_operation(board, app):
    from workshop.db import db
    from workshop.models import Participant

    with connect(board, 0) as c:
        with app.app_context():
            p = db.session.query(Participant).filter_by(session_id=board["id"], display_name="Piet").one()
            p.removed_at = p.created_at
            db.session.commit()
            db.session.remove()
        op_id = c.op("card.add", phase_id=board["phases"][0], lane_id=board["lanes"][2], title="Te laat")
        err = c.reply_to(op_id)
        assert err["code"] == "removed"
        from websockets.exceptions import ConnectionClosed
        with pytest.raises(ConnectionClosed) as exc:
            c.wait_for(lambda f: False, timeout=10)
        assert exc.value.rcvd.code == 4403


def test_an_oversized_frame_gets_an_error_and_a_huge_one_closes_the_connection(board, app):
    from websockets.exceptions import ConnectionClosed

    with connect(board, 0) as c:
        c.send(json.dumps({"type": "op", "op": {"type": "card.add", "title": "x" * (20 * 1024)}}))
        assert c.wait_for(lambda f: f["type"] == "error")["code"] == "too_large"
        c.apply("card.add", phase_id=board["phases"][0], lane_id=board["lanes"][2], title="Nog steeds verbonden")
        c.send(json.dumps({"type": "op", "op": {"type": "card.add", "title": "x" * (300 * 1024)}}))
        with pytest.raises(ConnectionClosed) as exc:
            c.wait_for(lambda f: False, timeout=10)
        assert exc.value.rcvd.code == 1009


def test_presence_lists_who_is_here_and_what_they_edit(board):
    with connect(board, "f") as f:
        p = connect(board, 0)
        people = f.wait_for(lambda fr: fr["type"] == "presence" and len(fr["people"]) == 2)["people"]
        assert {x["name"] for x in people} == {"Fien Facilitator", "Piet"}
        card = f.apply("card.add", phase_id=board["phases"][0], lane_id=board["lanes"][2], title="Samen")
        card_id = f.events()[-1]["data"]["card"]["id"] if f.events() else None
        card_id = card_id or f.wait_for(lambda fr: fr["type"] == "event" and fr["seq"] == card["seq"])["data"]["card"]["id"]
        p.send({"type": "presence", "editing": card_id})
        people = f.wait_for(lambda fr: fr["type"] == "presence" and any(x["editing"] == card_id for x in fr["people"]))["people"]
        assert [x["name"] for x in people if x["editing"] == card_id] == ["Piet"]
        p.close()
        people = f.wait_for(lambda fr: fr["type"] == "presence" and len(fr["people"]) == 1)["people"]
        assert people[0]["kind"] == "facilitator"


def test_an_event_published_ahead_of_a_missing_one_is_preceded_by_it(board, app):
    """Publishing races between threads or processes never reorder or skip events for a client."""
    from workshop.board import Actor, apply_operation
    from workshop.db import db

    phase, lane = board["phases"][0], board["lanes"][2]
    with connect(board, 0) as c:
        start = c.seq
        with app.app_context():
            results = []
            for title in ("Eerste", "Tweede"):
                results.append(apply_operation(db.session, board["id"], Actor("system", None),
                                               {"type": "card.add", "phase_id": phase, "lane_id": lane,
                                                "title": title, "op_id": f"race-{title}"}))
                db.session.commit()
            db.session.remove()
        # only the second is published (the first one's publisher is "late")
        app.extensions["hub"].publish(board["id"], results[1].event)
        c.wait_seq(start + 2)
        assert [(e["seq"], e["data"]["card"]["title"]) for e in c.events()] == [
            (start + 1, "Eerste"), (start + 2, "Tweede")]
        # the late publication arrives after all and is not delivered twice
        app.extensions["hub"].publish(board["id"], results[0].event)
        c.apply("card.add", phase_id=phase, lane_id=lane, title="Derde")
        assert [e["seq"] for e in c.events()] == [start + 1, start + 2, start + 3]


def test_a_client_that_cannot_keep_up_is_disconnected_and_catches_up_after(board, app):
    from websockets.exceptions import ConnectionClosed

    phase, lane = board["phases"][0], board["lanes"][2]
    writer = connect(board, 1)
    app.config["WS_OUTBOX_SIZE"] = 5  # only the next connection's outbox is this small
    with connect(board, 0, receive_buffer=65536) as slow, writer:
        app.config["WS_OUTBOX_SIZE"] = 1000
        hub = app.extensions["hub"]
        # Neither client reads meanwhile (websockets stops reading its socket after 16 frames), so
        # 900 frames of 8 KB (7 MB: more than the 4 MB a kernel send buffer grows to) fill the slow
        # one's small receive buffer, the send buffer and then its outbox (5).
        for _ in range(900):
            hub.publish(board["id"], {"type": "presence", "people": [], "pad": "x" * 8_000})
        with pytest.raises(ConnectionClosed) as exc:
            slow.wait_for(lambda f: False, timeout=10)
        assert exc.value.rcvd is not None, repr(exc.value)
        assert exc.value.rcvd.code == 4408
        writer.wait_for(lambda f: f["type"] == "presence" and f["people"] == [], timeout=10)
        ack = writer.apply("card.add", phase_id=phase, lane_id=lane, title="Gemist door de trage")
        with connect(board, 0, last_seq=slow.seq) as back:
            assert back.synced["seq"] >= ack["seq"]
            assert any(e["data"]["card"]["title"] == "Gemist door de trage" for e in back.events())


@pytest.mark.parametrize("size", [10, 125, 126, 65535, 65536, 300_000])
def test_shared_broadcast_frames_decode_intact_at_every_length_boundary(size):
    """Broadcasts are framed once and the same bytes go to every client (RFC 6455 length forms)."""
    from wsproto import ConnectionType
    from wsproto.connection import Connection
    from wsproto.events import TextMessage

    from workshop.live.hub import Frame

    text = json.dumps({"type": "event", "data": "é" * 3 + "x" * size})
    client = Connection(ConnectionType.CLIENT)
    client.receive_data(Frame(1, text).wire + Frame(2, "{}").wire)
    messages = [e for e in client.events() if isinstance(e, TextMessage)]
    assert [m.data for m in messages] == [text, "{}"]
    assert all(m.message_finished for m in messages)


def _commit_unpublished(app, board, titles):
    """Apply operations to the board without publishing them: events still 'on their way' (another process)."""
    from workshop.board import Actor, apply_operation
    from workshop.db import db
    from workshop.models import WorkshopSession

    with app.app_context():
        ws = db.session.get(WorkshopSession, board["id"])
        actor = Actor("facilitator", ws.facilitator_id, "Fien")
        results = [apply_operation(db.session, ws.id, actor, {"type": "card.add", "phase_id": board["phases"][0],
                                                              "lane_id": board["lanes"][2], "title": t})
                   for t in titles]
        db.session.commit()
        db.session.remove()
    return results


def test_events_published_out_of_order_reach_clients_in_order(board, app):
    """Several processes publish through Redis in their own order: a client still sees seq order, no gap."""
    import time

    hub = app.extensions["hub"]
    with connect(board, 0) as c:
        start = c.seq
        first, second = _commit_unpublished(app, board, ["Eerst", "Daarna"])
        hub.publish(board["id"], second.event)  # the later event overtakes the earlier one
        time.sleep(0.05)
        hub.publish(board["id"], first.event)
        c.wait_seq(second.seq)
        assert [(e["seq"], e["data"]["card"]["title"]) for e in c.events() if e["seq"] > start] == [
            (first.seq, "Eerst"), (second.seq, "Daarna")]


def test_an_event_that_never_arrives_is_read_from_the_event_log(board, app):
    hub = app.extensions["hub"]
    app.config["WS_REORDER_WAIT"] = 0.1
    with connect(board, 0) as c:
        start = c.seq
        lost, later = _commit_unpublished(app, board, ["Verloren bericht", "Wel gepubliceerd"])
        hub.publish(board["id"], later.event)  # the hub lost the first one (a Redis reconnect)
        c.wait_seq(later.seq)
        assert [(e["seq"], e["data"]["card"]["title"]) for e in c.events() if e["seq"] > start] == [
            (lost.seq, "Verloren bericht"), (later.seq, "Wel gepubliceerd")]


# Client frames as bytes on the wire: the reader parses the usual one itself (socket._read_plain)
# and leaves every other kind to wsproto; what a client sends must arrive the same either way.

def _client_frame(payload: bytes, opcode: int = 1, fin: bool = True, masked: bool = True,
                  mask: bytes | None = None) -> bytes:
    import os

    n = len(payload)
    head = bytes((0x80 * fin | opcode,))
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes((mask_bit | n,))
    elif n < 1 << 16:
        head += bytes((mask_bit | 126,)) + n.to_bytes(2, "big")
    else:
        head += bytes((mask_bit | 127,)) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    mask = mask or os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _op_bytes(board, op_id: str, title: str) -> bytes:
    return json.dumps({"type": "op", "op": {"type": "card.add", "op_id": op_id, "phase_id": board["phases"][0],
                                            "lane_id": board["lanes"][2], "title": title}}).encode()


def test_frames_joined_split_long_fragmented_or_between_pings_all_reach_the_board(board):
    with connect(board, 0) as c:
        raw = c.ws.socket
        # two operations in one write
        raw.sendall(_client_frame(_op_bytes(board, "twee-1", "Een")) + _client_frame(_op_bytes(board, "twee-2", "Twee")))
        assert c.reply_to("twee-1")["type"] == "ack" and c.reply_to("twee-2")["type"] == "ack"
        # one operation in three writes, split inside the header and inside the payload
        frame = _client_frame(_op_bytes(board, "deel", "In stukken"))
        for part in (frame[:1], frame[1:9], frame[9:]):
            raw.sendall(part)
            time.sleep(0.05)
        assert c.reply_to("deel")["type"] == "ack"
        # a 16-bit length, and a 64-bit one (over WS_MAX_MESSAGE_SIZE: read whole, answered, still connected)
        long_title = "Lange titel " + "é" * 100
        raw.sendall(_client_frame(_op_bytes(board, "lang", long_title)))
        assert c.reply_to("lang")["type"] == "ack"
        raw.sendall(_client_frame(_op_bytes(board, "te-lang", "x" * 70_000)))
        assert c.wait_for(lambda f: f["type"] == "error")["code"] == "too_large"
        # a message in three fragments with a ping between them: wsproto puts it together and answers the ping
        whole = _op_bytes(board, "stukjes", "Gefragmenteerd")
        raw.sendall(_client_frame(whole[:10], opcode=1, fin=False) + _client_frame(b"hallo", opcode=9)
                    + _client_frame(whole[10:20], opcode=0, fin=False) + _client_frame(whole[20:], opcode=0))
        assert c.reply_to("stukjes")["type"] == "ack"
        # a fragment that arrives in two writes: its second half is payload, never read as a frame header
        whole = _op_bytes(board, "halverwege", "Halverwege")
        first = _client_frame(whole[:40], opcode=1, fin=False)
        raw.sendall(first[:20])
        time.sleep(0.05)
        raw.sendall(first[20:] + _client_frame(whole[40:], opcode=0))
        assert c.reply_to("halverwege")["type"] == "ack"
        # a fragment's payload that looks like a frame, split where that "frame" begins: it stays payload
        # (a zero mask leaves the bytes as they are; binary, so the server answers "malformed")
        ping = _client_frame(b'{"type": "ping"}')
        last = _client_frame(b"x" * 10 + ping, opcode=0, mask=bytes(4))  # the final fragment
        raw.sendall(_client_frame(b"abc", opcode=2, fin=False) + last[:16])
        time.sleep(0.05)
        raw.sendall(last[16:])
        assert c.wait_for(lambda f: f["type"] in ("error", "pong"))["type"] == "error"  # no pong: no ping was read
        assert c.frames[-1]["code"] == "malformed"
        raw.sendall(ping)
        c.wait_for(lambda f: f["type"] == "pong")
        # and the usual frame right after it is read as usual
        raw.sendall(_client_frame(_op_bytes(board, "daarna", "Daarna")))
        assert c.reply_to("daarna")["type"] == "ack"
    with connect(board, "f", last_seq=None) as f:
        titles = {card["title"] for card in f.frames[0]["snapshot"]["cards"]}
    assert {"Een", "Twee", "In stukken", long_title, "Gefragmenteerd", "Halverwege", "Daarna"} <= titles


@pytest.mark.parametrize("frame, code", [
    (_client_frame(b'{"type": "ping", "x": "\xff\xfe"}'), 1007),  # not UTF-8
    (_client_frame(b'{"type": "ping"}', masked=False), 1002),  # a client must mask its frames
    (_client_frame(b'{"type": "ping"}', opcode=0), 1002),  # a continuation of nothing
    # a new message while a fragmented one is under way
    (_client_frame(b'{"type": ', fin=False) + _client_frame(b'{"type": "ping"}'), 1002),
])
def test_a_broken_frame_ends_the_connection(board, frame, code):
    from websockets.exceptions import ConnectionClosed

    with connect(board, 0) as c:
        c.ws.socket.sendall(frame)
        with pytest.raises(ConnectionClosed) as exc:
            c.wait_for(lambda f: False, timeout=10)
        # the close frame itself can be lost: the server's socket closes at once, and the kernel then
        # resets a connection that still has unread bytes from the client (its reply to the close)
        assert exc.value.rcvd is None or exc.value.rcvd.code == code
