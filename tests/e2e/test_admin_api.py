"""The seller's API as a client sees it over HTTP: the OpenAPI document
served without a token (and the same as admin/console/openapi.json, which
test_admin.c checks against the routes), errors as {"error": {"code",
"message", "field"}}, 405 with Allow, 401 with WWW-Authenticate: Bearer,
and the read API: orders polled with since/limit/cursor (every order once,
in updated_at order), items and the catalog read back with the live stock
an order took.

Bad inputs tried here: a wrong method (DELETE on the catalog, PATCH on
/items, POST on /items/{id}), no token, a wrong token, an unknown query
argument (?stat=, ?colour=), filter values that name nothing (state=Shipped,
fulfillment_state=Lost, limit=0, limit=5000, since=yesterday, a forged
cursor, enabled=maybe, provider=nobody).
"""
import json
import os
import sys
import time

from harness import TOP, Fleet, Runner, check, eq, now_ts
from seller_flow import admin_raw, place_order

F = None


def test_openapi_served_and_errors_conventional():
    s, h, raw = admin_raw(F, "GET", "/seller/v1/openapi.json", token=False)
    eq(s, 200, "served without a token")
    check(h["Content-Type"].startswith("application/json"), "JSON")
    with open(os.path.join(TOP, "admin", "console", "openapi.json"), "rb") as f:
        eq(json.loads(raw), json.load(f), "the document of the source tree")
    for method, path, allow in (("DELETE", "/seller/v1/catalog", "GET, PUT"),
                                ("PATCH", "/seller/v1/items", "GET"),
                                ("POST", "/seller/v1/items/42602101", "GET, PATCH")):
        s, h, raw = admin_raw(F, method, path)
        eq(s, 405, "%s %s" % (method, path))
        eq(h["Allow"], allow, "Allow of %s" % path)
        eq(json.loads(raw)["error"]["code"], "405", "code")
    for tok in (False, "wrong-token-0123456789"):
        hdr = {} if tok is False else {"Authorization": "Bearer " + tok}
        s, h, raw = admin_raw(F, "GET", "/seller/v1/orders", headers=hdr, token=False)
        eq(s, 401, "no or wrong token")
        check(h["WWW-Authenticate"].startswith("Bearer"), "the scheme named: %r" % h["WWW-Authenticate"])
        check(json.loads(raw)["error"]["message"], "a message")
    bad = [("/seller/v1/orders?stat=Created", "stat"), ("/seller/v1/items?colour=red", "colour"),
           ("/seller/v1/orders?state=Shipped", "state"),
           ("/seller/v1/orders?fulfillment_state=Lost", "fulfillment_state"),
           ("/seller/v1/orders?limit=0", "limit"), ("/seller/v1/orders?limit=5000", "limit"),
           ("/seller/v1/orders?since=yesterday", "since"), ("/seller/v1/orders?cursor=abc", "cursor"),
           ("/seller/v1/items?enabled=maybe", "enabled"), ("/seller/v1/items?provider=nobody", "provider"),
           ("/seller/v1/issues?state=Lost", "state")]
    for path, field in bad:
        s, a = F.admin("GET", path)
        eq(s, 400, path)
        eq(a["error"]["field"], field, "%s: the argument named" % path)
        check(a["error"]["code"] in ("30000", "30001"), "an ONDC code: %r" % a)


def test_orders_polled_with_since_and_cursor():
    before = now_ts()
    time.sleep(0.01)
    oids = [place_order(F)[1] for _ in range(3)]
    got, cursor, pages = [], None, 0
    while True:
        path = "/seller/v1/orders?since=%s&limit=2" % before + ("&cursor=" + cursor if cursor else "")
        s, a = F.admin("GET", path)
        eq(s, 200, "page %d" % pages)
        check(len(a["orders"]) <= 2, "a page holds at most limit")
        got += a["orders"]
        pages += 1
        cursor = a["next_cursor"]
        if not cursor:
            break
    eq(sorted(o["id"] for o in got), sorted(oids), "every order since, once")
    eq(pages, 2, "two pages of two")
    stamps = [o["updated_at"] for o in got]
    eq(stamps, sorted(stamps), "in updated_at order")
    check(all(o["state"] == "Created" and o["accept_by"] for o in got), "Created, with accept_by: %r" % got[0])
    s, a = F.admin("GET", "/seller/v1/orders?sort=-updated_at&limit=1")
    eq(a["orders"][0]["id"], oids[-1], "newest first")
    s, a = F.admin("GET", "/seller/v1/orders?q=%s" % oids[1][:12])
    eq([o["id"] for o in a["orders"]], [oids[1]], "found by id")


def test_items_read_back_with_live_stock():
    s, a = F.admin("GET", "/seller/v1/items/42602101")
    eq(s, 200, "one item")
    before = a["stock"]
    place_order(F, (("42602101", 2),))
    s, a = F.admin("GET", "/seller/v1/items/42602101")
    eq(a["stock"], before - 2, "the order took two")
    eq(a["item"]["quantity"]["available"]["count"], str(before - 2), "in the item too")
    s, cat = F.admin("GET", "/seller/v1/catalog")
    eq(s, 200, "catalog")
    items = {i["id"]: i for p in cat["bpp/providers"] for i in p["items"]}
    eq(items["42602101"]["quantity"]["available"]["count"], str(before - 2), "catalog: live stock")
    s, a = F.admin("GET", "/seller/v1/items?q=AMUL&limit=1000")
    check(a["items"] and all("amul" in (i["name"] + i["id"]).lower() for i in a["items"]), "text search")


if __name__ == "__main__":
    F = Fleet()
    F.start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
