"""HTTP hardening: rate limits on guessing, proxies and TLS, CSRF, headers, and isolation.

The isolation test walks ``app.url_map`` and every registered board operation,
so a route or operation added later is covered without touching this file.
"""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, join, login, make_test_app
from workshop.db import db as database
from workshop.models import Card, LibraryEntry, Template, WorkshopSession
from workshop.sessions import JOIN_ALPHABET

SECRET = "GEHEIM-" + uuid.uuid4().hex[:8]  # appears only in the victim's private data

# Routes anyone may call; everything else must refuse strangers.
PUBLIC = {"/", "/login", "/register", "/j/<code>", "/static/<path:filename>", "/api/library",
          "/api/formulas", "/api/templates"}
REFUSED = {401, 403, 404, 405}


def assert_api_answers_json(url: str, res) -> None:
    """Every answer under /api/ is JSON; a refusal is ``{"error": {"code", "message"}}``."""
    if not url.startswith("/api/"):
        return
    assert res.mimetype == "application/json", (url, res.status_code, res.get_data(as_text=True)[:200])
    if res.status_code >= 400:
        error = res.get_json()["error"]
        assert error["code"] and error["message"], (url, error)


def _unknown_code(known: set[str]) -> str:
    while True:
        code = uuid.uuid4().hex.upper()
        code = "".join(JOIN_ALPHABET[int(c, 16) % len(JOIN_ALPHABET)] for c in code[:6])
        if code not in known:
            return code


# ---------------------------------------------------------------------------
# rate limits


def test_login_attempts_are_limited_per_address_with_a_clear_message(client, facilitator):
    for _ in range(10):
        res = client.post("/login", data={"email": "fien@gemeente.nl", "password": "wrong"})
        assert res.status_code == 400
    res = client.post("/login", data={"email": "fien@gemeente.nl", "password": "wrong"})
    assert res.status_code == 429
    assert int(res.headers["Retry-After"]) > 0
    assert "Te veel pogingen" in res.get_data(as_text=True) or "Too many attempts" in res.get_data(as_text=True)
    # even the right password is refused until the window ends: the guesser learns nothing
    res = client.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD})
    assert res.status_code == 429


def test_login_limit_per_account_holds_across_addresses(app, facilitator):
    for i in range(10):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        assert c.post("/login", data={"email": "Fien@gemeente.nl", "password": "x"}).status_code == 400
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert c.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD}).status_code == 429


def test_successful_logins_are_not_counted(client, facilitator):
    for _ in range(15):
        login(client)
        client.post("/logout")


def test_english_message_when_english_is_chosen(client, facilitator):
    for _ in range(11):
        res = client.post("/login", data={"email": "a@b.nl", "password": "x"},
                          headers={"Accept-Language": "en"})
    assert res.status_code == 429
    assert "Too many attempts" in res.get_data(as_text=True) or "Te veel pogingen" in res.get_data(as_text=True)


def test_join_code_guessing_on_the_home_page_is_limited(client, facilitator, make_session):
    _, code = make_session(facilitator)
    for _ in range(10):
        res = client.post("/", data={"code": _unknown_code({code})})
        assert res.status_code == 404
    res = client.post("/", data={"code": code})  # even the right code: no oracle for a guesser
    assert res.status_code == 429
    assert int(res.headers["Retry-After"]) > 0


def test_join_code_guessing_by_link_is_limited(client, facilitator, make_session):
    _, code = make_session(facilitator)
    for _ in range(10):
        assert client.get(f"/j/{_unknown_code({code})}").status_code == 404
    assert client.get(f"/j/{code}").status_code == 429
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.get(f"/j/{code}").status_code == 200  # other people keep joining


def test_valid_codes_do_not_use_up_the_budget(client, facilitator, make_session):
    sid, code = make_session(facilitator)
    for _ in range(25):
        assert client.post("/", data={"code": code}).status_code == 302


@pytest.mark.redis
def test_limits_are_shared_through_redis(db_path, redis_url, facilitator):
    prefix = f"test:ratelimit:{uuid.uuid4().hex}:"
    apps = [make_test_app(f"sqlite:///{db_path}", RATELIMIT_STORAGE_URL=redis_url, RATELIMIT_KEY_PREFIX=prefix)
            for _ in range(2)]
    for i in range(10):
        apps[i % 2].test_client().get(f"/j/{_unknown_code(set())}")
    assert apps[0].test_client().get(f"/j/{_unknown_code(set())}").status_code == 429
    assert apps[1].test_client().get(f"/j/{_unknown_code(set())}").status_code == 429


# ---------------------------------------------------------------------------
# proxies, cookies, headers, CSRF


def test_behind_a_trusted_proxy_cookies_are_secure_and_hsts_is_sent(db_path, facilitator):
    app = make_test_app(f"sqlite:///{db_path}", TRUST_PROXY=1, SESSION_COOKIE_SECURE=True)
    c = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "ws.example.nl"}
    res = c.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD}, headers=headers,
                 base_url="http://ws.example.nl")
    assert res.status_code == 302
    cookie = next(v for k, v in res.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert res.headers["Strict-Transport-Security"].startswith("max-age=")
    # the rate limit sees the real client, not the proxy
    for _ in range(10):
        c.post("/login", data={"email": "x@y.nl", "password": "x"}, headers=headers)
    assert c.post("/login", data={"email": "z@y.nl", "password": "x"}, headers=headers).status_code == 429
    other = dict(headers, **{"X-Forwarded-For": "203.0.113.10"})
    assert c.post("/login", data={"email": "z@y.nl", "password": "x"}, headers=other).status_code == 400


def test_forwarded_headers_are_ignored_without_trust_proxy(client, facilitator):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    res = client.get("/", headers=headers)
    assert "Strict-Transport-Security" not in res.headers
    for i in range(10):  # spoofing X-Forwarded-For does not buy new budget
        client.post("/login", data={"email": "x@y.nl", "password": "x"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert client.post("/login", data={"email": "z@y.nl", "password": "x"},
                       headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429


def test_security_headers_and_csp_without_inline_script(client):
    res = client.get("/")
    csp = res.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["X-Frame-Options"] == "DENY"
    cookie = res.headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_in_pages(client, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwerp", with_cards=True)
    login(client)
    for url in ("/", "/dashboard", f"/s/{sid}", "/login"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), url  # no event-handler attributes


def test_every_state_changing_route_needs_a_csrf_token(csrf_app, make_facilitator, make_session):
    fid = make_facilitator()
    sid, code = make_session(fid)
    c = csrf_app.test_client()
    args = {"session_id": sid, "entry_id": 1, "template_id": 1, "code": code}
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            url = rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)[1]
            res = c.open(url, method=method, data={"x": "1"})
            assert res.status_code == 400, (method, url, res.status_code)
            assert_api_answers_json(url, res)
            if url.startswith("/api/"):
                assert res.get_json()["error"]["code"] == "csrf"
            checked += 1
    assert checked >= 10


# ---------------------------------------------------------------------------
# isolation: every route and every operation, as three kinds of stranger


@pytest.fixture
def victim(app, make_facilitator, make_session):
    """Facilitator A's private things, each carrying SECRET."""
    fid = make_facilitator("a@gemeente.nl", f"Anna {SECRET}")
    sid, code = make_session(fid, title=f"Sessie {SECRET}", formula="ontwerp", with_cards=True)
    with app.app_context():
        s = database.session
        card = s.scalars(select(Card).where(Card.session_id == sid)).first()
        card.title = f"Kaart {SECRET}"
        entry = LibraryEntry(name=f"Eigen {SECRET}", origin="own", owner_id=fid, channels=[], statements=[])
        tpl = Template(owner_id=fid, name=f"Sjabloon {SECRET}", kind="session", document={})
        s.add_all([entry, tpl])
        s.commit()
        ids = {"session_id": sid, "entry_id": entry.id, "template_id": tpl.id, "card_id": card.id,
               "code": code, "facilitator_id": fid}
    return ids


def _strangers(app, make_facilitator, make_session):
    """An anonymous visitor, a participant of another session, and another facilitator."""
    anon = app.test_client()
    other_fid = make_facilitator("b@gemeente.nl", "Bert")
    _, other_code = make_session(other_fid, title="Bert zijn sessie")
    participant = app.test_client()
    join(participant, other_code, "Piet")
    bert = app.test_client()
    login(bert, "b@gemeente.nl")
    return {"anonymous": anon, "participant of another session": participant, "another facilitator": bert}


def _counts(app, ids):
    with app.app_context():
        s = database.session
        return (s.scalar(select(func.count(Card.id)).where(Card.session_id == ids["session_id"])),
                s.get(WorkshopSession, ids["session_id"]).status,
                s.get(WorkshopSession, ids["session_id"]).title,
                s.get(LibraryEntry, ids["entry_id"]).name,
                s.get(Template, ids["template_id"]).name)


OBJECT_ARGUMENTS = {"session_id", "entry_id", "template_id"}


def _refused(who: str, rule, method: str, res) -> bool:
    if res.status_code == 403 and rule.arguments & OBJECT_ARGUMENTS:
        return False  # someone else's session, entry or template: 404, as a missing one (no existence oracle)
    if res.status_code in REFUSED:
        return True
    if rule.websocket and res.status_code == 400:
        return True  # a websocket route answers a plain request with 400; upgrades: test_security_ws.py
    if res.status_code == 302 and "/login" in res.headers.get("Location", ""):
        return True
    # routes without an object in the URL act on the caller's own things (their dashboard,
    # their library): allowed for a facilitator as long as nothing of A's leaks (checked below)
    return who == "another facilitator" and not (rule.arguments & OBJECT_ARGUMENTS)


def test_every_route_refuses_strangers(app, victim, make_facilitator, make_session):
    strangers = _strangers(app, make_facilitator, make_session)
    before = _counts(app, victim)
    args = dict(victim, code=_unknown_code({victim["code"]}), filename="css/app.css")
    walked = 0
    for rule in app.url_map.iter_rules():
        url = rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for who, c in strangers.items():
                res = c.open(url, method=method, data={"title": "x", "name": "x", "status": "closed"})
                body = res.get_data(as_text=True)
                assert SECRET not in body, (who, method, url)
                assert_api_answers_json(url, res)
                if rule.rule not in PUBLIC:
                    assert _refused(who, rule, method, res), (who, method, url, res.status_code)
                walked += 1
    assert walked > 60
    assert _counts(app, victim) == before


def test_every_operation_type_refuses_strangers(app, victim, make_facilitator, make_session):
    from workshop.board.operations import HANDLERS

    strangers = _strangers(app, make_facilitator, make_session)
    before = _counts(app, victim)
    with app.app_context():
        from workshop.models import Lane, Phase
        s = database.session
        phase = s.scalars(select(Phase).where(Phase.session_id == victim["session_id"])).first()
        lane = s.scalars(select(Lane).where(Lane.session_id == victim["session_id"])).first()
        phase_id, lane_id = phase.id, lane.id
    fields = {"card_id": victim["card_id"], "phase_id": phase_id, "lane_id": lane_id, "title": "overgenomen",
              "name": "x", "locked": True, "id": victim["card_id"], "text": "x", "section": "guarantee"}
    assert len(HANDLERS) >= 16
    for op_type in sorted(HANDLERS):
        for who, c in strangers.items():
            res = c.post(f"/api/sessions/{victim['session_id']}/operations",
                         json=dict(fields, type=op_type, op_id=uuid.uuid4().hex))
            assert res.status_code in (401, 403, 404), (who, op_type, res.status_code)
            assert_api_answers_json("/api/sessions/operations", res)
            assert SECRET not in res.get_data(as_text=True)
    assert _counts(app, victim) == before


def test_facilitator_only_operations_refuse_participants_of_the_same_session(app, victim):
    from workshop.board.operations import HANDLERS

    p = app.test_client()
    join(p, victim["code"], "Petra")
    for op_type, handler in sorted(HANDLERS.items()):
        if not handler.facilitator_only:
            continue
        res = p.post(f"/api/sessions/{victim['session_id']}/operations",
                     json={"type": op_type, "op_id": uuid.uuid4().hex, "locked": True, "participant_id": 1})
        assert res.status_code == 403, (op_type, res.status_code, res.get_json())


FACILITATOR_ONLY_PAGES = ("/s/{id}/export.pdf", "/s/{id}/export.csv", "/s/{id}/export.json", "/s/{id}/beamer",
                          "/s/{id}/join-qr.svg")


def test_facilitator_only_pages_answer_participants_403_and_everyone_else_404(app, victim, make_facilitator,
                                                                             make_session):
    """One rule for every facilitator-only page: a participant of the session (who knows it exists)
    gets 403; a stranger gets 404, what a missing session gives; the facilitator gets the page."""
    sid = victim["session_id"]
    member = app.test_client()
    join(member, victim["code"], "Petra")
    owner = app.test_client()
    login(owner, "a@gemeente.nl")
    strangers = _strangers(app, make_facilitator, make_session)
    for url in FACILITATOR_ONLY_PAGES:
        assert member.get(url.format(id=sid)).status_code == 403, url
        assert owner.get(url.format(id=sid)).status_code == 200, url
        for who, c in strangers.items():
            res = c.get(url.format(id=sid))
            assert res.status_code in (302, 404), (who, url, res.status_code)
            if res.status_code == 302:
                assert "/login" in res.headers["Location"], (who, url)


def test_removed_participant_loses_access(app, victim):
    from workshop.board import Actor, apply_operation
    from workshop.models import Participant

    p = app.test_client()
    join(p, victim["code"], "Weg")
    assert p.get(f"/api/sessions/{victim['session_id']}").status_code == 200
    with app.app_context():
        s = database.session
        pid = s.scalars(select(Participant.id).where(Participant.display_name == "Weg")).one()
        apply_operation(s, victim["session_id"], Actor("facilitator", victim["facilitator_id"], "A"),
                        {"type": "participant.remove", "id": pid})
        s.commit()
    assert p.get(f"/api/sessions/{victim['session_id']}").status_code == 404
    assert p.get(f"/s/{victim['session_id']}").status_code == 404
