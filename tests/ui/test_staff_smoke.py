from __future__ import annotations

from tests.ui.factories import ticket_for


def test_smoke(world, web):
    t = ticket_for(world)
    c = web(world.users["engineer"])
    r = c.get("/staff/tickets/?queue=all")
    assert r.status_code == 200, r.content[:2000]
    assert t.number in r.content.decode()
    r = c.get(f"/staff/tickets/{t.public_id}/")
    assert r.status_code == 200, r.content.decode()[:3000]
    r = c.get("/staff/tickets/intake/?q=甲")
    assert r.status_code == 200
    r = c.get("/staff/tickets/overview/")
    assert r.status_code == 403
    r = web(world.users["manager"]).get("/staff/tickets/overview/")
    assert r.status_code == 200
    c = web(world.users["customer_a"])
    for url in ("/portal/tickets/", f"/portal/tickets/{t.public_id}/", "/portal/tickets/new/", "/portal/"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.content.decode()[:3000])
