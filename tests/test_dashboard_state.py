"""The dashboard tells a session's real state: open, live with the people on its board now,
or closed; and its join code never breaks over two lines."""
from __future__ import annotations

import re

import pytest

from conftest import join, login
from live_server import LiveServer, WsClient, session_cookie


def _status_of(html: str, title: str) -> str:
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(title)}</a>.*?</tr>", html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.search(r'<span class="status [^"]*">.*?</span>\s*</td>',
                                                                 row, re.S).group(0))).strip()


def test_the_dashboard_shows_open_live_and_closed(app, facilitator, make_session):
    sid_live, code_live = make_session(facilitator, title="Werksessie")
    make_session(facilitator, title="Nog niemand")
    sid_closed, _ = make_session(facilitator, title="Afgerond")
    fac = app.test_client()
    login(fac)
    fac.post(f"/sessions/{sid_closed}/status", data={"status": "closed"})

    with LiveServer(app) as live:
        people = []
        for name in ("Piet", "Anna"):
            c = app.test_client()
            join(c, code_live, name)
            people.append(WsClient(live.ws_url(sid_live), session_cookie(c), last_seq=None))
        try:
            # (each client has said hello and been synced: it is on the board)
            html = fac.get("/dashboard", headers={"Accept-Language": "nl"}).get_data(as_text=True)
            assert _status_of(html, "Werksessie") == "Live · 2 personen"
            assert _status_of(html, "Nog niemand") == "Open"   # a new session takes joins: it is open
            assert _status_of(html, "Afgerond") == "Gesloten"
            assert "Concept" not in html
        finally:
            for ws in people:
                ws.close()

    # once everyone has left, the session is open again, not live
    html = fac.get("/dashboard").get_data(as_text=True)
    assert _status_of(html, "Werksessie") == "Open"


def test_join_codes_and_states_do_not_wrap(app, chromium, facilitator, make_session):
    for i in range(3):
        make_session(facilitator, title=f"Een sessie met een lange titel die de kolommen smal maakt {i}")
    from conftest import browser_login

    with LiveServer(app) as server:
        ctx = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
        page = ctx.new_page()
        browser_login(page, server.url)
        for node in page.locator("td .code, td .status").all():
            # one line: its height is that of a single line of its text
            height, line = node.evaluate("el => [el.getBoundingClientRect().height,"
                                         " parseFloat(getComputedStyle(el).lineHeight) || 20]")
            assert height < line * 1.6, (node.inner_text(), height, line)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        # the table stays inside the page's column (its actions wrap instead of pushing it out)
        assert page.evaluate("() => document.querySelector('main table.table').getBoundingClientRect().right"
                             " <= document.querySelector('main').getBoundingClientRect().right")
        ctx.close()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
