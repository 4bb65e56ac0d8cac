"""One buyer app never touches another's transaction or order.

Two registered buyer apps on one fleet, each signing with its own key and
receiving at its own fake buyer app. The attacker knows the victim's
context.transaction_id (and order id) and sends, signed as itself:
  - init on the victim's open transaction (its own cart): the victim's
    confirm must still match the victim's on_init (no 40008);
  - confirm on the victim's confirmed transaction with the victim's order
    id: no order of the victim's comes back (no billing name, phone,
    e-mail): the attacker is answered as if the transaction had no order;
  - rating on the victim's transaction: an error, and nothing is stored on
    the victim's order;
  - support with the victim's order id and transaction id: not found;
  - status and cancel with the victim's order id: not found, the order
    unchanged.
And a buyer app's callbacks go only where it registered (its
subscriber_url, or under it): a bap_uri naming the node's own admin
listener, another port or host of the same machine, another buyer app's
address, a path beside the registered one, a query string or user info is
NACKed before anything is stored.
"""
import json
import sys
import time
import uuid

from harness import Fleet, Runner, check, eq, load_fixture, now_ts

F = None
EVE = None  # the second buyer app


def cart(who, items=(("42602097", 1),), tid=None):
    req = who.make(load_fixture("seed-init-request.json"))
    if tid:
        req["context"]["transaction_id"] = tid
    o = req["message"]["order"]
    o["provider"] = {"id": "111863", "locations": [{"id": "148273"}]}
    o["items"] = [{"id": i, "quantity": {"count": n}, "fulfillment_id": "1"} for i, n in items]
    return req


def call(who, req, action, message=None):
    """Send REQ as ACTION for WHO (F or EVE); the on_* it got back."""
    req = json.loads(json.dumps(req))
    if message is not None:
        req["message"] = message
    req["context"]["action"] = action
    req["context"]["message_id"] = str(uuid.uuid4())
    req["context"]["timestamp"] = now_ts()
    s, a, _ = who.post("/protocol/v1/" + action, req)
    eq(s, 200, "%s ACKed: %r" % (action, a))
    calls = who.bap.wait_for(who.bap.by_message(req["context"]["message_id"], "on_" + action))
    check(calls, "on_%s arrived" % action)
    return json.loads(calls[0]["raw"])


def confirm_body(req, ini):
    o = req["message"]["order"]
    o["quote"] = ini["message"]["order"]["quote"]
    o["payment"] = ini["message"]["order"]["payment"]
    o["payment"]["status"] = "PAID"
    o["id"] = "O" + req["context"]["transaction_id"].replace("-", "")[:20]
    o["state"] = "Created"
    o["created_at"] = o["updated_at"] = now_ts()
    return req


def test_another_buyers_init_does_not_change_the_victims_cart():
    mine = cart(F)
    check("error" not in call(F, mine, "select"), "victim's select")
    ini = call(F, mine, "init")
    check("error" not in ini, "victim's init")
    # the attacker inits a dearer cart on the same transaction id
    theirs = cart(EVE, items=(("42602097", 3),), tid=mine["context"]["transaction_id"])
    call(EVE, theirs, "select")
    eini = call(EVE, theirs, "init")
    check("error" not in eini, "the attacker's own cart: %r" % eini.get("error"))
    check(eini["message"]["order"]["quote"]["price"] != ini["message"]["order"]["quote"]["price"],
          "the two carts differ")
    conf = call(F, confirm_body(mine, ini), "confirm")
    check("error" not in conf, "victim's confirm matches its own on_init: %r" % conf.get("error"))
    eq(conf["message"]["order"]["quote"]["price"], ini["message"]["order"]["quote"]["price"], "victim's total")


def test_another_buyer_cannot_read_confirm_rate_or_support_the_victims_order():
    mine = cart(F)
    # the victim's own details, found nowhere else
    o = mine["message"]["order"]
    o["billing"].update({"name": "Victim Vyas", "phone": "9111111111", "email": "victim@victim.example"})
    for f in o.get("fulfillments", []):
        f.setdefault("end", {}).setdefault("contact", {}).update(
            {"phone": "9111111111", "email": "victim@victim.example"})
    call(F, mine, "select")
    ini = call(F, mine, "init")
    req = confirm_body(mine, ini)
    conf = call(F, req, "confirm")
    check("error" not in conf, "victim's order")
    oid = req["message"]["order"]["id"]
    billing = conf["message"]["order"]["billing"]
    tid = req["context"]["transaction_id"]

    # rating and support on the victim's transaction (the attacker has no
    # order there)
    steal = EVE.make(req, fresh="keep-txn")
    got = call(EVE, steal, "rating", {"rating_category": "Provider", "id": "111863", "value": 1})
    eq(got["error"]["code"], "30018", "no order to rate")
    s, a = F.admin("GET", "/seller/v1/orders/%s?bap_id=%s" % (oid, req["context"]["bap_id"]))
    eq(s, 200, "victim's order on the desk")
    check(not a.get("ratings"), "nothing stored on the victim's order: %r" % a.get("ratings"))

    # support by the victim's order id and by its transaction id
    eq(call(EVE, steal, "support", {"ref_id": oid})["error"]["code"], "30018", "support by order id")
    eq(call(EVE, steal, "support", {"ref_id": tid})["error"]["code"], "30018", "support by transaction")

    # status and cancel name the victim's order id
    steal = EVE.make(req, fresh="keep-txn")
    got = call(EVE, steal, "status", {"order_id": oid})
    check("error" in got and oid not in json.dumps(got.get("message", {})), "status: not found")
    got = call(EVE, steal, "cancel", {"order_id": oid, "cancellation_reason_id": "001"})
    check("error" in got, "cancel: not found")
    s, a = F.admin("GET", "/seller/v1/orders/%s?bap_id=%s" % (oid, req["context"]["bap_id"]))
    eq(a["order"]["state"], conf["message"]["order"]["state"], "the victim's order unchanged")

    # confirm with the victim's transaction id and order id (the attacker's
    # own billing): not the victim's order that comes back
    steal = confirm_body(cart(EVE, tid=tid), ini)
    steal["message"]["order"]["id"] = oid
    eq(steal["context"]["transaction_id"], tid, "same transaction id")
    got = call(EVE, steal, "confirm")
    raw = json.dumps(got)
    for v in (billing["phone"], billing["email"], billing["name"]):
        check(v not in raw, "the victim's billing %r is not in the attacker's on_confirm" % v)

    # and the victim still reaches its own order
    b = call(F, req, "rating", {"rating_category": "Provider", "id": "111863", "value": 4})
    eq(b["message"], {"feedback_ack": False, "rating_ack": True}, "the victim rates its own order")


def journal_rows(mid):
    out = F.ctl("--config", F.config, "journal", "list", "--message", mid)
    return [line for line in out.splitlines()[1:] if line.strip()]  # past the header line


def test_callbacks_go_only_to_the_registered_subscriber_url():
    base = F.bap.uri  # http://127.0.0.1:PORT/ondc/1.0/ as registered
    port = base.split(":")[2].split("/")[0]
    for bad in ("http://127.0.0.1:%d/seller/v1/catalog" % F.admin_port,
                "http://127.0.0.1:%d/ondc/1.0/" % F.port,
                "http://localhost:%s/ondc/1.0/" % port,
                "https://127.0.0.1:%s/ondc/1.0/" % port,
                EVE.bap.uri,
                "http://127.0.0.1:%s/ondc/1.0x" % port,
                "http://127.0.0.1:%s/" % port,
                base + "on_init?next=http://169.254.169.254/",
                "http://x@127.0.0.1:%s/ondc/1.0/" % port):
        req = cart(F)
        req["context"]["bap_uri"] = bad
        req["context"]["action"] = "select"
        s, a, _ = F.post("/protocol/v1/select", req)
        eq(s, 400, "bap_uri %s refused: %r" % (bad, a))
        eq(a["error"]["path"], "context.bap_uri", "path")
        eq(journal_rows(req["context"]["message_id"]), [], "nothing stored for %s" % bad)
    # under the registered URL: delivered there
    req = cart(F)
    req["context"]["bap_uri"] = base + "v2"
    b = call(F, req, "select")
    check("error" not in b, "select under the registered URL: %r" % b.get("error"))
    mid = b["context"]["message_id"]
    got = [c for c in F.bap.calls if json.loads(c["raw"])["context"]["message_id"] == mid]
    eq(got[0]["path"], "/ondc/1.0/v2/on_select", "POSTed under the registered path")


def test_no_callback_to_this_machine_or_a_private_network_by_default():
    # a fleet with callback.allow_private_addresses at its default (false):
    # the buyer app's registered URL is on loopback, so its on_* is refused
    # at connect time and kept as a dead letter, not sent, not retried
    G = Fleet(extra={"callback": {"backoff_ms": 100, "allow_private_addresses": False}})
    try:
        G.start()
        req = G.make(load_fixture("seed-init-request.json"))
        s, a, _ = G.post("/protocol/v1/init", req)
        eq(s, 200, "ACK: the request itself is fine")
        mid = req["context"]["message_id"]

        def dead():
            out = G.ctl("--config", G.config, "outbox", "list", "--status", "dead")
            return [l for l in out.splitlines()[1:] if mid in l]
        t0 = time.time()
        while not dead() and time.time() - t0 < 10:
            time.sleep(0.2)
        rows = dead()
        check(rows, "a dead letter for the on_init")
        oid = rows[0].split("\t")[0]
        info = G.ctl("--config", G.config, "outbox", "show", oid)
        check("private network" in info, "the answer says why: %s" % info[:400])
        check("attempts: 1" in info, "tried once, not retried: %s" % info[:400])
        time.sleep(0.5)
        eq([c for c in G.bap.calls if mid in c["raw"].decode()], [], "nothing reached the buyer app")
    finally:
        G.close()


if __name__ == "__main__":
    F = Fleet()
    EVE = F.add_buyer("eve.buyer.example")
    F.start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
