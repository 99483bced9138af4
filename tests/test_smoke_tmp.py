from conftest import join, login


def test_board_renders(client, facilitator, make_session):
    sid, code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    login(client)
    res = client.get(f"/s/{sid}")
    assert res.status_code == 200, res.data.decode()[:3000]
    assert "Stip op de kaart" in res.data.decode()
    c2 = client.application.test_client()
    join(c2, code)
    assert c2.get(f"/s/{sid}").status_code == 200
    assert client.get("/dashboard").status_code == 200
    assert client.get("/sessions/new").status_code == 200
    assert client.get("/").status_code == 200
