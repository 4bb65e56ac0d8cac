"""Discovery end to end: search -> on_search from the catalog in LMDB, and
the seller keeping the catalog current through the admin API.

The demo catalog: provider 111863 (Amul Parlour, Indiranagar, delivery and
self-pickup within 15 km, cash on delivery) and P2-KORA (Koramangala Fresh
Mart, delivery within 5 km, prepaid only).

Bad inputs tried here: a gps that is not "lat,lng", an item name that is
not a string, a catalog PUT with a bad price, a duplicate item id, an item
pointing at an unknown location, a body that is not JSON, a PATCH with an
unknown field or a negative stock, a PATCH of an unknown item, and a PATCH
without the admin token; each refused with the field named, the catalog
left as it was.
"""
import json
import sys
import time

from harness import Fleet, Runner, check, eq, load_fixture

F = None


def search(intent=None, **ctx):
    req = F.make(load_fixture("search-request.json"))
    if intent is not None:
        # the buyer app's finder fee stays: ONDC's retail schema requires it
        # of every 1.2.x search (the ingress NACKs a search without it)
        intent = dict(intent)
        intent["payment"] = dict(req["message"]["intent"]["payment"], **intent.get("payment", {}))
        req["message"]["intent"] = intent
    req["context"].update(ctx)
    status, ans, _ = F.post("/protocol/v1/search", req)
    eq(status, 200, "search ACKed: %r" % (ans,))
    return req


def answers(req, expect=True, timeout=10.0):
    """Every on_search for REQ (one or more pages), or [] when none came."""
    mid = req["context"]["message_id"]
    if not expect:
        time.sleep(1.5)
        return [c for c in F.bap.calls if json.loads(c["raw"])["context"]["message_id"] == mid]
    calls = F.bap.wait_for(F.bap.by_message(mid, "on_search"), timeout=timeout * 3)
    check(calls, "on_search arrived")
    time.sleep(0.3)  # further pages, if any
    calls = [c for c in F.bap.calls if json.loads(c["raw"])["context"]["message_id"] == mid]
    for c in calls:
        ok, why = F.verify_callback(c)
        check(ok, "on_search is signed: " + why)
    return [json.loads(c["raw"]) for c in calls]


def items_of(bodies):
    """{(provider, item): item} over every page."""
    out = {}
    for b in bodies:
        for p in b["message"]["catalog"]["bpp/providers"]:
            for it in p.get("items", []):
                out[(p["id"], it["id"])] = it
    return out


def ids(bodies):
    return sorted("%s/%s" % k for k in items_of(bodies))


def by_name(name, none=False, **kw):
    return ids(answers(search({"item": {"descriptor": {"name": name}}}, **kw), expect=not none))


def test_search_by_item_name_tokens_and_prefix():
    eq(by_name("butter"), ["111863/42602097", "111863/42602105"], "both butters")
    eq(by_name("BUTTER"), ["111863/42602097", "111863/42602105"], "case-insensitive")
    eq(by_name("amul butt"), ["111863/42602097", "111863/42602105"], "prefix of the last token")
    eq(by_name("butter milk"), ["111863/42602097"], "all tokens must match")
    eq(by_name("dal"), ["P2-KORA/FM-TOOR-1KG"], "another provider")
    eq(by_name("milk butt"), ["111863/42602097"], "token order does not matter")
    r = search({"item": {"descriptor": {"name": "chocolate"}}})
    eq(answers(r, expect=False), [], "no match: no on_search")


def test_on_search_has_the_retail_catalog_shape():
    body = answers(search({"item": {"descriptor": {"name": "paneer"}}}))[0]
    ctx = body["context"]
    eq(ctx["action"], "on_search", "action")
    eq(ctx["bpp_id"], F.subscriber, "bpp_id")
    cat = body["message"]["catalog"]
    eq(cat["bpp/descriptor"]["name"], "ondc-gateway demo seller app", "bpp/descriptor")
    eq(cat["bpp/descriptor"]["tags"][0]["list"][0], {"code": "np_type", "value": "MSN"}, "np_type")
    eq([f["type"] for f in cat["bpp/fulfillments"]], ["Delivery", "Self-Pickup"], "bpp/fulfillments")
    eq(len(cat["bpp/providers"]), 1, "one provider")
    p = cat["bpp/providers"][0]
    check("seller" not in p, "the seller's private terms are not published")
    check(all("city_code" not in l for l in p["locations"]), "no internal location fields")
    for k in ("id", "descriptor", "time", "locations", "categories", "fulfillments", "ttl", "tags", "items"):
        check(k in p, "provider has " + k)
    it = p["items"][0]
    eq(it["id"], "42602110", "the paneer")
    eq(it["quantity"]["available"], {"count": "99"}, "in stock shows 99")
    eq(it["quantity"]["maximum"], {"count": "3"}, "maximum per order")
    eq(it["price"]["value"], "95.50", "price")
    for k in ("@ondc/org/returnable", "@ondc/org/cancellable", "@ondc/org/return_window",
              "@ondc/org/time_to_ship", "@ondc/org/available_on_cod",
              "@ondc/org/contact_details_consumer_care"):
        check(k in it, "item has " + k)


def test_search_by_category_provider_and_city():
    b = answers(search({"category": {"id": "Dals and Pulses"}}))
    eq(ids(b), ["P2-KORA/FM-TOOR-1KG"], "by category")
    eq(answers(search({"category": {"id": "No Such Category"}}), expect=False), [], "unknown category")
    b = answers(search({"provider": {"id": "P2-KORA"}}))
    got = items_of(b)
    eq(sorted(i for _, i in got), ["FM-BANANA-1DZ", "FM-RICE-5KG", "FM-TOOR-1KG"], "by provider id")
    eq(got[("P2-KORA", "FM-BANANA-1DZ")]["quantity"]["available"], {"count": "0"}, "out of stock shows 0")
    eq(sorted({p for p, _ in items_of(answers(search({"provider": {"descriptor": {"name": "fresh mart"}}})))}),
       ["P2-KORA"], "by provider name")
    everything = ids(answers(search(None)))
    eq(len(everything), 7, "no intent: the whole catalog of the city")
    eq(len(ids(answers(search({}, city="*")))), 7, "city *")


def test_search_by_end_location_fulfillment_and_payment():
    def loc(gps=None, area="560001", typ="Delivery"):
        # a 1.2.x search's end location has both (the schema requires them);
        # with gps the distance decides, the area code only for a pincode list
        l = {"address": {"area_code": area}}
        if gps:
            l["gps"] = gps
        return {"fulfillment": {"type": typ, "end": {"location": l}}}
    provs = lambda b: sorted({p for p, _ in items_of(b)})
    eq(provs(answers(search(loc("12.978400,77.640900")))), ["111863"],
       "Indiranagar: Amul (15 km); Koramangala is 5.1 km away, past its 5 km")
    eq(provs(answers(search(loc("12.935500,77.624000")))), ["111863", "P2-KORA"], "Koramangala: both")
    eq(answers(search(loc("13.098300,77.393700")), expect=False), [], "30 km out: nobody serves it")
    # an area code alone: only core 1.0.0 allows it (1.2.x requires gps too)
    eq(provs(answers(search(loc(area="560095"), domain="nic2004:52110", core_version="1.0.0"))),
       ["P2-KORA"], "an area code alone")
    eq(provs(answers(search({"fulfillment": {"type": "Self-Pickup"}}))), ["111863"], "self-pickup")
    cod = items_of(answers(search({"payment": {"type": "ON-FULFILLMENT"}})))
    eq(sorted(i for _, i in cod), ["42602097", "42602101", "42602110"],
       "cash on delivery: only COD items of providers that take it")


def test_core_1_0_0_search():
    req = search({"item": {"descriptor": {"name": "rice"}}}, domain="nic2004:52110", core_version="1.0.0")
    b = answers(req)
    eq(ids(b), ["P2-KORA/FM-RICE-5KG"], "1.0.0 by name")
    eq(b[0]["context"]["core_version"], "1.0.0", "core_version echoed")
    eq(b[0]["context"]["domain"], "nic2004:52110", "domain echoed")


def test_malformed_intent_gets_an_error_naming_the_field():
    # a gps the schema allows (a string) but that is no place: the worker's error
    r = search({"fulfillment": {"end": {"location": {"gps": "somewhere",
                                                     "address": {"area_code": "560001"}}}}})
    b = answers(r)[0]
    eq(b["error"]["code"], "30000", "code")
    eq(b["error"]["path"], "message.intent.fulfillment.end.location.gps", "path")
    # a name that is not a string: at 1.2.x the ingress NACKs it (the
    # schema); at core 1.0.0 the worker answers an error naming the field
    req = F.make(load_fixture("search-request.json"))
    req["message"]["intent"]["item"] = {"descriptor": {"name": 42}}
    status, ans, _ = F.post("/protocol/v1/search", req)
    eq((status, ans["error"]["type"], ans["error"]["path"]),
       (400, "JSON-SCHEMA-ERROR", "message.intent.item.descriptor.name"), "1.2.0: NACK")
    r = search({"item": {"descriptor": {"name": 42}}}, domain="nic2004:52110", core_version="1.0.0")
    eq(answers(r)[0]["error"]["path"], "message.intent.item.descriptor.name", "path")


def test_seller_changes_price_stock_and_availability():
    s, a = F.admin("PATCH", "/seller/v1/items/42602101", {"price": "26.50"})
    eq(s, 200, "price patched: %r" % (a,))
    it = items_of(answers(search({"item": {"descriptor": {"name": "taaza"}}})))[("111863", "42602101")]
    eq(it["price"]["value"], "26.50", "new price seen by the next search")
    eq(F.admin("PATCH", "/seller/v1/items/111863/42602101", {"stock": 0})[0], 200, "stock patched")
    it = items_of(answers(search({"item": {"descriptor": {"name": "taaza"}}})))[("111863", "42602101")]
    eq(it["quantity"]["available"], {"count": "0"}, "out of stock now")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"enabled": False})[0], 200, "disabled")
    eq(answers(search({"item": {"descriptor": {"name": "taaza"}}}), expect=False), [], "disabled: not found")
    # bad patches change nothing
    for body, field in [({"price": "-1"}, "price"), ({"stock": -3}, "stock"), ({"colour": "red"}, "colour"),
                        ({"enabled": "yes"}, "enabled")]:
        s, a = F.admin("PATCH", "/seller/v1/items/42602101", body)
        eq(s, 400, "bad patch %r refused" % (body,))
        eq(a["error"].get("field"), field, "names the field")
    eq(F.admin("PATCH", "/seller/v1/items/NOPE", {"stock": 1})[0], 404, "unknown item")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"stock": 1}, token=False)[0], 401, "token needed")
    eq(F.admin("PATCH", "/seller/v1/items/42602101", {"enabled": True, "stock": 5, "price": "27.00"})[0], 200,
       "restored")
    eq(by_name("taaza"), ["111863/42602101"], "back")


def test_catalog_put_refuses_bad_input_and_keeps_the_old_catalog():
    cat = load_fixture("catalog-demo.json")
    bad = json.loads(json.dumps(cat))
    bad["bpp/providers"][0]["items"][1]["price"]["value"] = "twelve"
    s, a = F.admin("PUT", "/seller/v1/catalog", bad)
    eq(s, 400, "bad price refused")
    eq(a["error"]["field"], "bpp/providers[0].items[1].price.value", "field named")
    bad = json.loads(json.dumps(cat))
    bad["bpp/providers"][1]["items"].append(dict(bad["bpp/providers"][1]["items"][0]))
    s, a = F.admin("PUT", "/seller/v1/catalog", bad)
    eq((s, a["error"]["field"]), (400, "bpp/providers[1].items[3].id"), "duplicate item id")
    bad = json.loads(json.dumps(cat))
    bad["bpp/providers"][0]["items"][0]["location_id"] = "nowhere"
    s, a = F.admin("PUT", "/seller/v1/catalog", bad)
    eq((s, a["error"]["field"]), (400, "bpp/providers[0].items[0].location_id"), "unknown location")
    eq(by_name("butter"), ["111863/42602097", "111863/42602105"], "catalog unchanged")
    # a valid replace with a renamed item: the old name is gone from the index
    good = json.loads(json.dumps(cat))
    good["bpp/providers"][0]["items"][0]["descriptor"]["name"] = "Chaas Amul"
    s, a = F.admin("PUT", "/seller/v1/catalog", good)
    eq((s, a["items"]), (200, 7), "replaced")
    eq(by_name("butter"), ["111863/42602105"], "old name no longer matches")
    eq(by_name("chaas"), ["111863/42602097"], "new name matches")
    # upsert one new provider-less change: item renamed back
    s, a = F.admin("PUT", "/seller/v1/catalog?mode=upsert", cat)
    eq(s, 200, "upsert")
    eq(by_name("chaas", none=True), [], "renamed back")


def test_a_10000_item_catalog_is_answered_in_pages():
    base = load_fixture("catalog-demo.json")
    prov = json.loads(json.dumps(base["bpp/providers"][1]))
    tmpl = prov["items"][0]
    prov["id"] = "BIG"
    prov["items"] = []
    for i in range(10000):
        it = json.loads(json.dumps(tmpl))
        it["id"] = "BIG-%05d" % i
        it["descriptor"]["name"] = "Big Store Item %d %s" % (i, ["rice", "dal", "oil", "salt"][i % 4])
        prov["items"].append(it)
    cat = dict(base)
    cat["bpp/providers"] = [prov]
    s, a = F.admin("PUT", "/seller/v1/catalog", cat, timeout=120)
    eq((s, a.get("items")), (200, 10000), "big catalog imported")
    try:
        req = search(None)
        mid = req["context"]["message_id"]
        deadline = time.time() + 180  # generous: sanitizer builds are ~10x slower
        while time.time() < deadline:
            got = items_of([json.loads(c["raw"]) for c in F.bap.calls
                            if json.loads(c["raw"])["context"]["message_id"] == mid])
            if len(got) >= 10000:
                break
            time.sleep(0.5)
        pages = [c for c in F.bap.calls if json.loads(c["raw"])["context"]["message_id"] == mid]
        eq(len(got), 10000, "every item, once")
        limit = F.cfg["search"]["page_kb"] * 1024
        check(len(pages) > 1, "split into pages: %d" % len(pages))
        for c in pages:
            check(len(c["raw"]) <= limit, "page of %d bytes within %d" % (len(c["raw"]), limit))
            ok, why = F.verify_callback(c)
            check(ok, "page signed: " + why)
        eq(by_name("salt"), ["BIG/BIG-%05d" % i for i in range(3, 10000, 4)], "a name search in it")
    finally:
        eq(F.admin("PUT", "/seller/v1/catalog", base, timeout=120)[0], 200, "demo catalog back")


if __name__ == "__main__":
    F = Fleet(extra={"search": {"page_kb": 512}, "lmdb_map_size_mb": 1024}).start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
