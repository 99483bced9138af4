"""The report as a web page: same data as the PDF, for this session's people only, and accessible."""
from __future__ import annotations

import pytest

from conftest import join, login
from live_server import LiveServer


@pytest.fixture
def session(app, facilitator, make_session):
    return make_session(facilitator, formula="ontwerp", with_cards=True)


def test_report_page_for_the_facilitator_and_participants_of_that_session_only(app, client, session,
                                                                                facilitator, make_session):
    sid, code = session
    other_sid, _other = make_session(facilitator, title="Ander")
    assert app.test_client().get(f"/s/{sid}/report").status_code == 404  # no existence oracle
    participant = app.test_client()
    join(participant, code)
    res = participant.get(f"/s/{sid}/report")
    assert res.status_code == 200
    page = res.data.decode()
    assert "Omgevingsvergunning" in page and "Stip op de kaart" in page and "Formuleplaat" in page
    assert participant.get(f"/s/{other_sid}/report").status_code == 404
    login(client)
    en = client.get(f"/s/{sid}/report?lang=en").data.decode()
    assert 'lang="en"' in en and "Customer interface: guarantees" in en and "Klantinterface" not in en
    assert client.get("/s/99999/report").status_code == 404


@pytest.mark.browser
def test_report_page_has_no_axe_violations(chromium, facilitator, make_session, app):
    from axe_playwright_python.sync_playwright import Axe

    from test_accessibility import AXE_OPTIONS

    sid, code = make_session(facilitator, formula="ontwerp", with_cards=True)
    with LiveServer(app) as server:
        base = server.url
        ctx = chromium.new_context(locale="nl-NL", bypass_csp=True, viewport={"width": 1366, "height": 768})
        page = ctx.new_page()
        page.goto(f"{base}/j/{code}")
        page.fill("#display_name", "Anna")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/s/{sid}")
        for lang in ("nl", "en"):
            page.goto(f"{base}/s/{sid}/report?lang={lang}")
            results = Axe().run(page, options=AXE_OPTIONS)
            violations = [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                          for v in results.response["violations"]]
            assert violations == [], violations
        ctx.close()


def test_one_vote_is_one_stem_not_one_stemmen(app, client, session, db_session):
    """A card's votes in the HTML report and on the board's first paint take the plural form."""
    from sqlalchemy import select

    from workshop.models import Card

    sid, _code = session
    one, two = db_session.scalars(select(Card).where(Card.session_id == sid).order_by(Card.id).limit(2)).all()
    one.votes, two.votes = 1, 2
    db_session.commit()
    login(client)
    for url in (f"/s/{sid}/report", f"/s/{sid}"):
        page = client.get(url).data.decode()
        assert "1 stem<" in page and "1 stemmen" not in page and "2 stemmen<" in page, url
