"""The fan-out's fast path on one connection: what one write carries, and what waits for the sender.

A ``LiveConnection`` on a socket that records its writes (and can take only part of one, or
fail), without a server: the cases a live test cannot pin down (a kernel buffer that fills in
the middle of a group commit's events, a frame already sent, a gap, a full outbox).
"""
from __future__ import annotations

import pytest
from wsproto import ConnectionType
from wsproto.connection import Connection

from tests.conftest import facilitator_actor
from workshop.live.hub import Frame, encode, websocket_text_frame
from workshop.live.socket import LiveConnection


class RecordingSocket:
    def __init__(self):
        self.writes: list[bytes] = []
        self.take: int | None = None  # bytes the kernel accepts on the next write (None: all)
        self.fail = False

    def send(self, data, flags=0):
        if self.fail:
            raise OSError("connection reset")
        n = len(data) if self.take is None else min(self.take, len(data))
        self.take = None
        self.writes.append(bytes(data[:n]))
        return n


class FakeWebSocket:
    def __init__(self):
        self.sock = RecordingSocket()
        self.ws = Connection(ConnectionType.SERVER)  # an open wsproto connection, as after the handshake
        self.connected = True


def event(seq: int, text: str = "Kaart") -> Frame:
    return Frame(seq, encode({"type": "event", "seq": seq, "event": "card.update", "data": {"title": text}}))


@pytest.fixture
def conn(app):
    with app.test_request_context():
        c = LiveConnection(app, FakeWebSocket(), 1, facilitator_actor(1), anonymous=False)
    c.synced = True
    c.last_sent = 10
    return c


def sent(c) -> bytes:
    return b"".join(c.ws.sock.writes)


def test_a_run_of_events_leaves_in_one_write(conn):
    frames = [event(11), event(12), event(13)]
    conn.put_many(frames)
    assert conn.ws.sock.writes == [b"".join(f.wire for f in frames)]
    assert conn.last_sent == 13 and not conn.out


def test_a_frame_already_sent_is_skipped_and_the_rest_still_go_together(conn):
    conn.last_sent = 11  # 11 went out already (the sender's own copy, or filled from the log)
    conn.put_many([event(11), event(12), event(13)])
    assert conn.ws.sock.writes == [event(12).wire + event(13).wire]
    assert conn.last_sent == 13


def test_at_a_gap_the_rest_waits_in_the_outbox_in_order(conn):
    frames = [event(11), event(13), event(14)]  # 12 is still on its way
    conn.put_many(frames)
    assert conn.ws.sock.writes == [frames[0].wire]
    assert conn.last_sent == 11
    assert list(conn.out) == frames[1:] and conn.wake.is_set()


def test_what_the_kernel_does_not_take_waits_as_bytes_before_anything_else(conn):
    frames = [event(11), event(12)]
    whole = frames[0].wire + frames[1].wire
    conn.ws.sock.take = len(frames[0].wire) + 3  # the buffer fills inside the second frame
    conn.put_many(frames)
    assert conn.ws.sock.writes == [whole[:len(frames[0].wire) + 3]]
    assert conn.last_sent == 12  # both are the sender's to finish, as bytes: never sent again as frames
    assert list(conn.out) == [("raw", None, whole[len(frames[0].wire) + 3:])]
    conn.put(event(13))  # a later event queues behind the rest of the earlier write
    assert list(conn.out)[-1].seq == 13 and len(conn.ws.sock.writes) == 1


def test_a_failed_write_leaves_every_frame_to_the_sender(conn):
    conn.ws.sock.fail = True
    frames = [event(11), event(12)]
    conn.put_many(frames)
    assert conn.last_sent == 10 and list(conn.out) == frames


def test_while_the_sender_is_busy_everything_queues_and_a_full_outbox_overflows(conn):
    conn.busy = True  # the sender owns the socket
    conn.outbox_size = 2
    conn.put_many([event(11), event(12), event(13)])
    assert not conn.ws.sock.writes
    assert [f.seq for f in conn.out] == [11, 12] and conn.overflowed  # the sender closes it with 4408


def test_a_removal_in_the_batch_waits_for_the_sender_with_everything_after_it(conn):
    removal = Frame(12, encode({"type": "event", "seq": 12, "event": "participant.remove", "data": {"id": 5}}))
    conn.put_many([event(11), removal, event(13)])
    assert conn.ws.sock.writes == [event(11).wire]
    assert [f.seq for f in conn.out] == [12, 13]


def test_acks_and_errors_are_framed_as_wsproto_would_and_never_after_a_close(conn):
    from wsproto.events import CloseConnection, TextMessage

    text = encode({"type": "ack", "op_id": "é-1", "seq": 10, "duplicate": False})
    assert conn._frame(text) == Connection(ConnectionType.SERVER).send(TextMessage(data=text))
    conn.put(("ack", 10, text))
    assert conn.ws.sock.writes == [websocket_text_frame(text)]
    conn.ws.ws.send(CloseConnection(code=1000))  # our close frame went out: no text frame may follow
    conn.put(("send", None, encode({"type": "pong"})))
    assert len(conn.ws.sock.writes) == 1 and list(conn.out) == [("send", None, '{"type":"pong"}')]


def test_a_lone_surrogate_echoed_from_a_client_still_makes_a_valid_frame(conn):
    text = encode({"type": "error", "code": "unknown_type", "op_id": "\ud800"})
    frame = websocket_text_frame(text)
    assert frame[2:].decode("utf-8") == text.replace("\ud800", "?")


# One event at a time: the hub's usual case (a lone operation), which put() writes inline.

def test_one_event_after_another_each_leaves_in_its_own_write(conn):
    conn.put(event(11))
    conn.put(event(12))
    assert conn.ws.sock.writes == [event(11).wire, event(12).wire] and conn.last_sent == 12 and not conn.out


def test_one_event_already_sent_is_not_written_again_and_one_after_a_gap_waits(conn):
    conn.put(event(10))  # the connection's own copy came first
    assert not conn.ws.sock.writes and not conn.out
    conn.put(event(12))  # 11 is still on its way: the sender orders them
    assert not conn.ws.sock.writes and [f.seq for f in conn.out] == [12]


def test_one_event_the_kernel_takes_in_part_leaves_the_rest_as_bytes(conn):
    frame = event(11)
    conn.ws.sock.take = 5
    conn.put(frame)
    assert conn.ws.sock.writes == [frame.wire[:5]] and conn.last_sent == 11
    assert list(conn.out) == [("raw", None, frame.wire[5:])] and conn.wake.is_set()


def test_one_event_on_a_failed_socket_is_left_to_the_sender(conn):
    conn.ws.sock.fail = True
    frame = event(11)
    conn.put(frame)
    assert conn.last_sent == 10 and list(conn.out) == [frame]


def test_a_removal_or_a_settings_change_alone_always_goes_through_the_sender(conn):
    for seq, kind in ((11, "participant.remove"), (12, "session.settings")):
        conn.out.clear()
        conn.last_sent = seq - 1
        frame = Frame(seq, encode({"type": "event", "seq": seq, "event": kind, "data": {"id": 5}}))
        conn.put(frame)
        assert not conn.ws.sock.writes and list(conn.out) == [frame]
