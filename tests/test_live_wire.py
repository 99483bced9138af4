"""The compact live forms (presence changes, compact snapshots) and the idle checks, against a real server."""
from __future__ import annotations

import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed

from tests.live_server import LiveServer, WsClient, http_client, people_on_board, session_cookie

DELTA = ["presence-delta"]


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server


def _room(app, live, facilitator, make_session, names):
    session_id, code = make_session(facilitator, formula="ontwerp")
    fac, clients = people_on_board(app, code, names)
    return live.ws_url(session_id), session_cookie(fac), [session_cookie(c) for c in clients]


def _people(frames) -> dict:
    """The presence list a delta client ends up with (what static/js/wire.js applyPresence does)."""
    people = {}
    for f in frames:
        if f["type"] == "synced":
            people = {(p["kind"], p["id"]): p for p in f["presence"]}
        elif f["type"] == "presence":
            for ch in f["changes"]:
                if ch.get("gone"):
                    people.pop((ch["kind"], ch["id"]), None)
                else:
                    people[(ch["kind"], ch["id"])] = ch
    return people


def test_a_client_that_asks_for_changes_sees_people_come_edit_and_go(app, live, facilitator, make_session):
    url, fac_cookie, (piet, anna) = _room(app, live, facilitator, make_session, ("Piet", "Anna"))
    with WsClient(url, fac_cookie, features=DELTA) as f:
        assert [p["kind"] for p in f.synced["presence"]] == ["facilitator"]
        with WsClient(url, piet) as p:
            came = f.wait_for(lambda fr: fr["type"] == "presence" and any(ch.get("name") == "Piet" for ch in fr["changes"]))
            assert "people" not in came
            p.send({"type": "presence", "editing": 91})
            f.wait_for(lambda fr: fr["type"] == "presence" and any(ch.get("editing") == 91 for ch in fr["changes"]))
            assert _people(f.frames)[("participant", came["changes"][0]["id"])]["editing"] == 91
        gone = f.wait_for(lambda fr: fr["type"] == "presence" and any(ch.get("gone") for ch in fr["changes"]))
        assert [ch for ch in gone["changes"] if ch.get("gone")][0]["kind"] == "participant"
        assert [p["kind"] for p in _people(f.frames).values()] == ["facilitator"]


def test_a_room_joining_at_once_gets_a_few_presence_frames_not_one_per_join(app, live, facilitator, make_session):
    app.config["WS_PRESENCE_DELAY"] = 0.5
    app.extensions["presence_feed"].delay = 0.5
    names = [f"Deelnemer {i}" for i in range(12)]
    url, fac_cookie, cookies = _room(app, live, facilitator, make_session, names)
    with WsClient(url, fac_cookie, features=DELTA) as watcher:
        clients = [None] * len(cookies)

        def open_(i):
            clients[i] = WsClient(url, cookies[i], features=DELTA)

        threads = [threading.Thread(target=open_, args=(i,)) for i in range(len(cookies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            watcher.wait_for(lambda fr: fr["type"] == "presence" and len(_people(watcher.frames)) == 13, timeout=10)
            presence_frames = [fr for fr in watcher.frames if fr["type"] == "presence"]
            assert len(presence_frames) <= 4, len(presence_frames)  # 12 joins, gathered
            assert sorted(p["name"] for p in _people(watcher.frames).values() if p["kind"] == "participant") == sorted(names)
        finally:
            for c in clients:
                if c is not None:
                    c.close()


def test_an_older_client_still_gets_the_whole_list(app, live, facilitator, make_session):
    url, fac_cookie, (piet, anna) = _room(app, live, facilitator, make_session, ("Piet", "Anna"))
    with WsClient(url, fac_cookie) as f, WsClient(url, piet, features=DELTA):
        people = f.wait_for(lambda fr: fr["type"] == "presence" and len(fr.get("people", [])) == 2)["people"]
        assert [p["kind"] for p in people] == ["facilitator", "participant"]


def _board(snapshot: dict) -> dict:
    """The snapshot without the server's clock (the timer says when it was read)."""
    out = dict(snapshot)
    if isinstance(out.get("timer"), dict):
        out["timer"] = {k: v for k, v in out["timer"].items() if k != "now"}
    return out


def _expand(compact: dict) -> dict:
    """What static/js/wire.js expandSnapshot does (tests/js/wire.test.js checks the JS itself)."""
    out = dict(compact)
    for name in ("phases", "lanes", "cards", "plate", "participants"):
        table = compact.get(name)
        if isinstance(table, dict):
            out[name] = [dict(zip(table["keys"], row)) for row in table["rows"]]
    for card in out.get("cards", []):
        if card["updated_at"] is None:
            card["updated_at"] = card["created_at"]
    return out


def test_a_compact_snapshot_holds_the_same_board_and_follows_every_change(app, live, facilitator, make_session):
    session_id, code = make_session(facilitator, formula="ontwerp", with_cards=True)
    fac, (piet,) = people_on_board(app, code, ("Piet",))
    url = live.ws_url(session_id)
    with WsClient(url, session_cookie(piet), last_seq=None) as plain, \
            WsClient(url, session_cookie(piet), last_seq=None, features=["compact-snapshot"]) as compact:
        assert "snapshot" in plain.frames[0] and "compact" not in plain.frames[0]
        assert compact.frames[0]["type"] == "snapshot" and "snapshot" not in compact.frames[0]
        assert _board(_expand(compact.frames[0]["compact"])) == _board(plain.frames[0]["snapshot"])
        snap = plain.frames[0]["snapshot"]
        assert len(snap["cards"]) > 3
        ack = plain.apply("card.add", phase_id=snap["phases"][0]["id"], lane_id=snap["lanes"][2]["id"],
                          title="Nieuw na de pauze")
        plain.apply("card.update", id=snap["cards"][0]["id"], title="Gewijzigd")
    # a second look at the same seq (served from the cache) and one after the change agree with HTTP
    for _ in range(2):
        with WsClient(url, session_cookie(piet), last_seq=None, features=["compact-snapshot"]) as again:
            got = _expand(again.frames[0]["compact"])
        api = http_client(app)
        api.set_cookie("session", session_cookie(piet).split("=", 1)[1])
        assert _board(got) == _board(api.get(f"/api/sessions/{session_id}").get_json())
        assert got["seq"] == ack["seq"] + 1
        assert "Nieuw na de pauze" in [c["title"] for c in got["cards"]]
        assert "Gewijzigd" in [c["title"] for c in got["cards"]]


def test_a_laptop_that_stops_answering_pings_is_closed_and_the_others_stay(app, live, facilitator, make_session):
    """Every ping interval each socket is pinged; one that has not answered by the next ping is closed (4409)."""
    import time

    from websockets.exceptions import ConnectionClosed
    from websockets.frames import Opcode

    app.config["WS_PING_INTERVAL"] = 0.3
    url, _fac, (piet, anna) = _room(app, live, facilitator, make_session, ("Piet", "Anna"))
    with WsClient(url, piet) as p, WsClient(url, anna) as a:
        protocol = p.ws.protocol  # Piet's laptop goes on receiving but no longer answers pings
        send_frame = protocol.send_frame
        protocol.send_frame = lambda frame: None if frame.opcode is Opcode.PONG else send_frame(frame)
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as exc:
            p.wait_for(lambda f: False, timeout=10)
        assert exc.value.rcvd.code == 4409
        assert time.monotonic() - started < 3  # within a few intervals
        time.sleep(1.0)  # more intervals: Anna answers her pings and stays
        a.send({"type": "ping"})
        a.wait_for(lambda f: f["type"] == "pong")


def test_a_participant_removed_behind_the_sockets_back_is_cut_off_at_the_next_idle_check(
        app, live, facilitator, make_session):
    """Removed without an event (e.g. directly in the database): the ping-time check still finds out."""
    from datetime import datetime

    from websockets.exceptions import ConnectionClosed

    from workshop.db import db
    from workshop.models import Participant

    app.config["WS_PING_INTERVAL"] = 0.5
    url, _fac, (piet, anna) = _room(app, live, facilitator, make_session, ("Piet", "Anna"))
    with WsClient(url, piet) as p, WsClient(url, anna) as a:
        with app.app_context():
            row = db.session.query(Participant).filter_by(display_name="Piet").one()
            row.removed_at = datetime.utcnow()
            db.session.commit()
        with pytest.raises(ConnectionClosed) as exc:
            p.wait_for(lambda f: False, timeout=10)
        assert exc.value.rcvd.code == 4403
        assert any(f["type"] == "error" and f["code"] == "removed" for f in p.frames)
        a.send({"type": "ping"})
        a.wait_for(lambda f: f["type"] == "pong")  # Anna stays


def test_a_cached_snapshot_frame_follows_joins_votes_session_edits_and_anonymisation(
        app, facilitator, make_session):
    """What changes a board without an operation (a join, an edit of the session's details, the
    anonymisation) reaches the next snapshot at once, and each participant sees their own votes."""
    import json

    from sqlalchemy import select

    from workshop.board import Actor, apply_operation
    from workshop.db import db
    from workshop.db import autocommit_reads
    from workshop.live.catchup import cached_snapshot_frame, compact_snapshot, compact_snapshot_frame, snapshot_message
    from workshop.models import Card, Lane, WorkshopSession
    from workshop.privacy import anonymise_session
    from workshop.sessions import join_session, set_status, update_details

    session_id, _code = make_session(facilitator, formula="ontwerp", with_cards=True)
    with app.app_context():
        ws = db.session.get(WorkshopSession, session_id)
        piet, _ = join_session(db.session, ws, "Piet")
        db.session.commit()
        fien = Actor("facilitator", facilitator, "Fien")

        def frame(viewer):
            seq, _hidden, text = compact_snapshot_frame(db.session, session_id, viewer)
            message = snapshot_message(db.session, session_id, viewer)
            db.session.remove()
            with autocommit_reads(db.engine) as conn:  # what a join reads: the cached parts
                fast = cached_snapshot_frame(db.engine, conn, session_id, viewer)
            if fast is None:  # a participant during a vote: the transaction path, as above
                assert viewer.kind == "participant" and json.loads(text)["compact"]["vote"] is not None
                fast = (seq, _hidden, text)
            got, fast = json.loads(text), json.loads(fast[2])
            want = json.loads(json.dumps(compact_snapshot(message["snapshot"])))
            for timer in (got["compact"]["timer"], fast["compact"]["timer"], want["timer"]):
                timer.pop("now")
            assert got == fast == {"type": "snapshot", "seq": message["seq"], "compact": want}
            return got["compact"]

        def names(compact):
            keys = compact["participants"]["keys"]
            return [dict(zip(keys, row))["name"] for row in compact["participants"]["rows"]]

        assert names(frame(fien)) == ["Piet"]
        ws = db.session.get(WorkshopSession, session_id)
        anna, _ = join_session(db.session, ws, "Anna")  # no operation, no new seq
        db.session.commit()
        assert names(frame(fien)) == ["Piet", "Anna"]
        update_details(db.session, db.session.get(WorkshopSession, session_id),
                       {"title": "Nieuwe titel", "municipality": "Utrecht"})
        set_status(db.session, db.session.get(WorkshopSession, session_id), "closed")
        db.session.commit()
        meta = frame(fien)["session"]
        assert (meta["title"], meta["municipality"], meta["status"]) == ("Nieuwe titel", "Utrecht", "closed")
        set_status(db.session, db.session.get(WorkshopSession, session_id), "open")
        db.session.commit()

        lane = db.session.scalars(select(Lane).where(Lane.session_id == session_id, Lane.kind == "innovations")).first()
        card_id = db.session.scalars(select(Card.id).where(Card.lane_id == lane.id)).first()
        apply_operation(db.session, session_id, fien, {"type": "vote.open", "lane_id": lane.id})
        db.session.commit()
        piet_a, anna_a = Actor("participant", piet.id, "Piet"), Actor("participant", anna.id, "Anna")
        apply_operation(db.session, session_id, piet_a, {"type": "vote.cast", "card_id": card_id})
        db.session.commit()
        for _ in range(2):  # the second time from the cache
            assert frame(piet_a)["vote"]["mine"] == {str(card_id): 1}
            assert frame(anna_a)["vote"]["mine"] == {}
            assert frame(fien)["vote"]["total"] == 1

        anonymise_session(db.session, db.session.get(WorkshopSession, session_id))
        db.session.commit()
        assert names(frame(fien)) == ["Deelnemer 1", "Deelnemer 2"]


def test_the_compact_frame_is_the_compact_snapshot_whoever_asks_and_whatever_the_names_setting(
        app, facilitator, make_session):
    """The cards table encoded once per seq and spliced in: the same frame as encoding the whole message."""
    import json

    from sqlalchemy import select

    from workshop.board import Actor, apply_operation
    from workshop.db import db
    from workshop.live.catchup import compact_snapshot, compact_snapshot_frame, snapshot_message
    from workshop.models import Lane, Phase, WorkshopSession
    from workshop.sessions import join_session

    session_id, _code = make_session(facilitator, formula="ontwerp", with_cards=True)
    with app.app_context():
        ws = db.session.get(WorkshopSession, session_id)
        piet, _ = join_session(db.session, ws, "Piet")
        db.session.commit()
        cell = {"phase_id": db.session.scalars(select(Phase.id).where(Phase.session_id == session_id)).first(),
                "lane_id": db.session.scalars(select(Lane.id).where(Lane.session_id == session_id)).first()}
        viewers = [Actor("facilitator", facilitator, "Fien"), Actor("participant", piet.id, "Piet")]
        apply_operation(db.session, session_id, viewers[1], {"type": "card.add", "title": "Van Piet", **cell})
        db.session.commit()
        for anonymous in (False, True):
            apply_operation(db.session, session_id, viewers[0], {"type": "session.settings", "anonymous": anonymous})
            db.session.commit()
            for viewer in viewers * 2:  # the second time from the cache
                seq, hidden, text = compact_snapshot_frame(db.session, session_id, viewer)
                message = snapshot_message(db.session, session_id, viewer)
                assert (seq, hidden) == (message["seq"], anonymous)
                frame = json.loads(text)
                want = json.loads(json.dumps(compact_snapshot(message["snapshot"])))
                for timer in (frame["compact"]["timer"], want["timer"]):
                    timer.pop("now")  # the clock moved between the two reads
                assert frame == {"type": "snapshot", "seq": message["seq"], "compact": want}
                db.session.remove()


def test_a_closed_websocket_leaves_nothing_for_the_garbage_collector_to_free(app, live, facilitator, make_session):
    """flask-sock defines a response class per connection; a thousand sockets closing left a thousand
    classes that only a collection frees (a 20-50 ms pause of every socket of the worker)."""
    import gc
    import time

    url, fac_cookie, (piet,) = _room(app, live, facilitator, make_session, ("Piet",))

    def classes():
        return sum(1 for o in gc.get_objects() if issubclass(type(o), type))

    for cookie in (fac_cookie, piet):  # warm up: what a first connection imports or caches
        with WsClient(url, cookie):
            pass
    time.sleep(0.3)
    gc.collect()
    gc.disable()  # count what the connections leave behind, before any collection frees it
    try:
        before = classes()
        for _ in range(5):
            with WsClient(url, piet):
                pass
        time.sleep(0.5)  # the server's handlers end after the clients close
        assert classes() - before < 5
    finally:
        gc.enable()


def _raw_upgrade(live, session_id: int, cookie: str, extra: str = "") -> tuple[bytes, object]:
    """An upgrade request written by hand with RFC 6455's sample key: the answer's head, and the socket."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(live.ws_url(session_id))
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                  f"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n{extra}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    return head.split(b"\r\n\r\n")[0], sock


def _hello_frame() -> bytes:
    """A client's masked text frame: hello."""
    import json as _json
    import os

    payload = _json.dumps({"type": "hello", "last_seq": None}).encode()
    mask = os.urandom(4)
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("extra", ["", "Sec-WebSocket-Protocol: chat\r\n"])
def test_the_opening_handshake_answers_as_rfc_6455_says_and_the_board_follows(
        app, live, facilitator, make_session, extra, monkeypatch):
    import simple_websocket

    library = []  # requests answered by simple-websocket's own handshake
    original = simple_websocket.Server.handshake
    monkeypatch.setattr(simple_websocket.Server, "handshake", lambda self: library.append(1) or original(self))
    session_id, code = make_session(facilitator, formula="ontwerp")
    _fac, (piet,) = people_on_board(app, code, ("Piet",))
    head, sock = _raw_upgrade(live, session_id, session_cookie(piet), extra)
    # the ordinary request is answered directly; one asking for a subprotocol goes the library's way
    assert library == ([1] if extra else [])
    with sock:
        lines = head.decode().split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3's example
        assert headers["upgrade"].lower() == "websocket" and "upgrade" in headers["connection"].lower()
        assert "sec-websocket-protocol" not in headers and "sec-websocket-extensions" not in headers
        sock.sendall(_hello_frame())
        data = b""
        while b'"synced"' not in data:
            chunk = sock.recv(65536)
            assert chunk, data[:200]
            data += chunk
        assert b'"snapshot"' in data  # a fresh client gets the board, then "synced"


def test_a_malformed_upgrade_is_refused_and_the_server_goes_on(app, live, facilitator, make_session):
    session_id, code = make_session(facilitator, formula="ontwerp")
    _fac, (piet,) = people_on_board(app, code, ("Piet",))
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(live.ws_url(session_id))
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nCookie: {session_cookie(piet)}\r\n"
                      "\r\n").encode())  # no key
        answer = sock.recv(4096)
        assert not answer.startswith(b"HTTP/1.1 101")
    with WsClient(live.ws_url(session_id), session_cookie(piet)) as ok:
        assert ok.synced["type"] == "synced"


@pytest.mark.parametrize("deflate", [False, True])
def test_snapshot_acks_events_and_errors_read_the_same_with_or_without_permessage_deflate(
        app, live, facilitator, make_session, deflate):
    # Without an extension the server frames text itself; with permessage-deflate (allowed by the
    # setting, offered by the client) wsproto compresses every frame per connection.
    app.config["WS_PERMESSAGE_DEFLATE"] = deflate
    session_id, code = make_session(facilitator, formula="ontwerp", with_cards=True)
    _fac, (piet, anna) = people_on_board(app, code, ("Piet", "Anna"))
    url = live.ws_url(session_id)
    with WsClient(url, session_cookie(piet), last_seq=None) as p, WsClient(url, session_cookie(anna)) as a:
        agreed = p.ws.response.headers.get("Sec-WebSocket-Extensions", "")
        assert ("permessage-deflate" in agreed) is deflate
        snap = p.frames[0]["snapshot"]
        assert len(snap["cards"]) > 3  # a snapshot over 125 bytes: a 16-bit length (test_live_protocol has the rest)
        ack = p.apply("card.add", phase_id=snap["phases"][0]["id"], lane_id=snap["lanes"][2]["id"],
                      title="Één kaart ✓ " + "lang " * 30)  # non-ASCII; the event is over 125 bytes: a 16-bit length
        seen = a.wait_for(lambda f: f["type"] == "event" and f["seq"] == ack["seq"])
        assert seen["data"]["card"]["title"].startswith("Één kaart ✓ lang")
        assert p.events()[-1]["seq"] == ack["seq"]  # the sender's own copy came before its ack
        p.op("card.update", id=999999, title="Weg")
        error = p.wait_for(lambda f: f["type"] == "error")
        assert error["code"] and error["message"]


def _cell(app, session_id: int) -> dict:
    from sqlalchemy import select

    from workshop.db import db
    from workshop.models import Lane, Phase

    with app.app_context():
        cell = {"phase_id": db.session.scalars(select(Phase.id).where(Phase.session_id == session_id)).first(),
                "lane_id": db.session.scalars(select(Lane.id).where(Lane.session_id == session_id)).first()}
        db.session.remove()
    return cell


def _participant_id(app, session_id: int, name: str) -> int:
    from sqlalchemy import select

    from workshop.db import db
    from workshop.models import Participant

    with app.app_context():
        pid = db.session.scalars(select(Participant.id).where(Participant.session_id == session_id,
                                                              Participant.display_name == name)).one()
        db.session.remove()
    return pid


def _one_batch(app, session_id: int, first, queued) -> list[tuple]:
    """Send ``first()`` while the database is busy, then each of ``queued`` (callables returning
    (client, op_id)): those wait for the session's writer and are stored in one transaction."""
    from workshop.db import db
    from workshop.live.writer import writer_for

    with app.app_context():
        lock = db.engine.sqlite_writer_lock._lock
    def wait_until(condition) -> None:
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert condition()

    writer = writer_for(app, session_id)
    assert lock.acquire(timeout=5)
    try:
        sent = [first()]
        # the first one holds the writer's turn and has taken itself from the queue: it waits for the database
        wait_until(lambda: writer._active and not writer._queue)
        for n, send in enumerate(queued, 1):
            sent.append(send())
            wait_until(lambda: len(writer._queue) == n)
    finally:
        lock.release()
    return sent


def test_the_events_of_one_group_commit_reach_each_laptop_in_one_write(app, live, facilitator, make_session,
                                                                         monkeypatch):
    from workshop.live import socket as live_socket

    writes = []  # per non-blocking write: how many events it carried
    plain = live_socket.send_nowait

    def counting(sock, data):
        writes.append(bytes(data).count(b'"type":"event"'))
        return plain(sock, data)

    monkeypatch.setattr(live_socket, "send_nowait", counting)
    session_id, code = make_session(facilitator, formula="ontwerp")
    fac, people = people_on_board(app, code, ("Piet", "Anna", "Kees"))
    url = live.ws_url(session_id)
    cell = _cell(app, session_id)
    with WsClient(url, session_cookie(fac), features=DELTA) as watcher:
        clients = [WsClient(url, session_cookie(c), features=DELTA) for c in people]
        try:
            # the joins' presence frames are out: every laptop's sender is idle when the batch comes
            watcher.wait_for(lambda fr: fr["type"] == "presence" and len(_people(watcher.frames)) == 4)
            time.sleep(2 * app.config["WS_PRESENCE_DELAY"])
            sent = _one_batch(app, session_id, lambda: (clients[0], clients[0].op("card.add", title="Eerste", **cell)),
                              [lambda c=c, i=i: (c, c.op("card.add", title=f"Samen {i}", **cell))
                               for i, c in enumerate(clients[1:])])
            acks = [c.reply_to(op_id) for c, op_id in sent]
            assert [a["type"] for a in acks] == ["ack"] * 3
            seqs = sorted(a["seq"] for a in acks)
            assert seqs == list(range(seqs[0], seqs[0] + 3))
            for seq in seqs:
                watcher.wait_seq(seq)
            for c in [watcher] + clients:
                c.wait_seq(seqs[-1])
                assert [e["seq"] for e in c.events()] == seqs  # in order, each once, on every laptop
            assert max(writes) == 2  # the two stored together left in one write
        finally:
            for c in clients:
                c.close()


def test_a_removal_inside_a_group_commit_keeps_the_order_and_cuts_off_only_the_removed(
        app, live, facilitator, make_session):
    session_id, code = make_session(facilitator, formula="ontwerp")
    fac, (piet, anna, kees, joop) = people_on_board(app, code, ("Piet", "Anna", "Kees", "Joop"))
    url = live.ws_url(session_id)
    cell = _cell(app, session_id)
    kees_id = _participant_id(app, session_id, "Kees")
    with WsClient(url, session_cookie(fac)) as f, WsClient(url, session_cookie(piet)) as p, \
            WsClient(url, session_cookie(anna)) as a, WsClient(url, session_cookie(kees)) as k, \
            WsClient(url, session_cookie(joop)) as j:
        # one transaction: Anna's card, Kees removed, Joop's card. Each laptop may take the card at
        # once; the removal waits for its sender, and so does everything after it.
        sent = _one_batch(app, session_id, lambda: (p, p.op("card.add", title="Eerst", **cell)),
                          [lambda: (a, a.op("card.add", title="Voor", **cell)),
                           lambda: (f, f.op("participant.remove", id=kees_id)),
                           lambda: (j, j.op("card.add", title="Na", **cell))])
        acks = [c.reply_to(op_id) for c, op_id in sent]
        assert [x["type"] for x in acks] == ["ack"] * 4
        seqs = [x["seq"] for x in acks]
        assert seqs == list(range(seqs[0], seqs[0] + 4))
        for c in (f, p, a, j):
            c.wait_seq(seqs[-1])
            assert [(e["seq"], e["event"]) for e in c.events()] == list(zip(
                seqs, ["card.add", "card.add", "participant.remove", "card.add"]))
        removed = k.wait_for(lambda fr: fr["type"] == "error")
        assert removed["code"] == "removed"
        with pytest.raises(ConnectionClosed) as closed:
            k.wait_for(lambda fr: False)
        assert closed.value.rcvd.code == 4403
        assert [e["seq"] for e in k.events()] == seqs[:3]  # nothing after its own removal


def test_a_lone_surrogate_in_a_frame_gets_an_error_frame_and_the_connection_goes_on(
        app, live, facilitator, make_session):
    session_id, code = make_session(facilitator, formula="ontwerp")
    _fac, (piet,) = people_on_board(app, code, ("Piet",))
    with WsClient(live.ws_url(session_id), session_cookie(piet)) as p:
        p.send('{"type": "\\ud800"}')  # JSON's escape of half a UTF-16 pair: no character UTF-8 can carry
        error = p.wait_for(lambda f: f["type"] == "error")
        assert error["code"] == "unknown_type" and "?" in error["message"]
        p.send('{"type": "op", "op": {"type": "card.add", "op_id": "\\udc00-1"}}')
        refused = p.wait_for(lambda f: f["type"] == "error" and f.get("op_id") == "?-1")
        assert refused["code"] == "missing_field"
        p.send({"type": "ping"})
        p.wait_for(lambda f: f["type"] == "pong")  # still open, still answering
