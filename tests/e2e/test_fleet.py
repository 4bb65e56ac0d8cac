"""The fleet end to end on the seed's init flow, and the NACKs of ingress.

Bad inputs tried here: malformed JSON, a body that is not an object, each
missing context field (with its path), an unknown action, an action that does
not match context.action, a GET on a buyer endpoint, an oversized body, a
city and a domain not served, a bpp_id of another seller app, a missing or
garbled Authorization header, a message_id reused with another body.
"""
import json
import sys
import time

from harness import Fleet, Runner, check, eq, load_fixture, now_ts

F = None


def money(v):
    r, _, p = str(v).partition(".")
    return int(r) * 100 + int((p + "00")[:2])


def test_seed_init_gives_the_seed_quote():
    req = F.make(load_fixture("seed-init-request.json"))
    status, ans, _ = F.post("/protocol/v1/init", req)
    eq(status, 200, "init answered")
    eq(ans, {"message": {"ack": {"status": "ACK"}}}, "ACK body")
    mid = req["context"]["message_id"]
    calls = F.bap.wait_for(F.bap.by_message(mid, "on_init"))
    check(calls, "on_init reached the buyer app")
    call = calls[0]
    eq(call["path"], "/ondc/1.0/on_init", "one slash between bap_uri and on_init")
    ok, why = F.verify_callback(call)
    check(ok, "callback signature verifies with the registry key: " + why)
    body = json.loads(call["raw"])
    ctx = body["context"]
    eq(ctx["transaction_id"], req["context"]["transaction_id"], "transaction_id echoed")
    eq(ctx["message_id"], mid, "message_id echoed")
    eq(ctx["bpp_id"], F.subscriber, "bpp_id")
    eq(ctx["action"], "on_init", "action")
    check(ctx["timestamp"] > req["context"]["timestamp"], "callback timestamp is later")
    order = body["message"]["order"]
    quote = order["quote"]
    eq(quote["price"], {"currency": "INR", "value": "147.00"}, "quote price")
    types = [r["@ondc/org/title_type"] for r in quote["breakup"]]
    eq(types, ["item", "delivery", "packing"], "breakup rows")
    eq([r["price"]["value"] for r in quote["breakup"]], ["99.00", "23.00", "25.00"], "row prices")
    eq(sum(money(r["price"]["value"]) for r in quote["breakup"]), money(quote["price"]["value"]),
       "rows sum to the price")
    item = quote["breakup"][0]
    eq(item["@ondc/org/item_id"], "42602097", "item id")
    eq(item["@ondc/org/item_quantity"], {"count": "1"}, "item quantity")
    eq(item["title"], "Butter milk Amul", "item title")
    # echoed and seller terms
    eq(order["billing"], req["message"]["order"]["billing"], "billing echoed")
    eq(order["fulfillments"], req["message"]["order"]["fulfillments"], "fulfillments echoed")
    eq(order["items"], req["message"]["order"]["items"], "items echoed")
    pay = order["payment"]
    eq(pay["type"], "ON-ORDER", "payment type")
    eq(pay["collected_by"], "BAP", "collected_by")
    eq(pay["@ondc/org/buyer_app_finder_fee_type"], "fixed", "finder fee type from the seller")
    eq(pay["@ondc/org/buyer_app_finder_fee_amount"], "3", "finder fee amount from the seller")
    eq(pay["@ondc/org/settlement_basis"], "Collection", "settlement basis")
    eq(pay["@ondc/org/settlement_window"], "P2D", "settlement window")
    eq(pay["@ondc/org/withholding_amount"], "0.00", "withholding")
    sd = pay["@ondc/org/settlement_details"][0]
    eq(sd["settlement_counterparty"], "seller-app", "counterparty")
    eq(sd["settlement_type"], "neft", "settlement type")
    eq(sd["settlement_bank_account_no"], "123121311", "account")


def test_duplicate_message_is_acked_and_not_processed_twice():
    req = F.make(load_fixture("seed-init-request.json"))
    raw = json.dumps(req, separators=(",", ":")).encode()
    s1, a1, _ = F.post("/protocol/v1/init", None, raw=raw)
    s2, a2, _ = F.post("/init", None, raw=raw)
    eq((s1, s2), (200, 200), "both ACKed")
    mid = req["context"]["message_id"]
    F.bap.wait_for(F.bap.by_message(mid, "on_init"))
    time.sleep(1.0)
    eq(len(F.bap.wait_for(F.bap.by_message(mid, "on_init"), timeout=0.1, count=2)), 1,
       "one on_init for a message sent twice")
    # the same message_id with another body is refused
    req["message"]["order"]["items"][0]["quantity"]["count"] = 2
    s3, a3, _ = F.post("/init", req)
    eq(s3, 400, "reused message_id with another body")
    eq(a3["error"]["path"], "context.message_id", "path")


def test_unsupported_action_gets_an_error_callback():
    req = F.make(load_fixture("seed-init-request.json"), action="rating")
    req["message"] = {"rating_category": "Order", "id": "x", "value": "5"}
    status, _, _ = F.post("/protocol/v1/rating", req)
    eq(status, 200, "rating ACKed")
    calls = F.bap.wait_for(F.bap.by_message(req["context"]["message_id"], "on_rating"))
    check(calls, "on_rating arrives")
    err = json.loads(calls[0]["raw"])["error"]
    check(err["code"] and err["type"], "it carries an ONDC error: %r" % err)


def nack(status, ans, code, path=None, etype=None):
    eq(ans["message"]["ack"]["status"], "NACK", "NACK")
    eq(ans["error"]["code"], code, "error code")
    if path is not None:
        eq(ans["error"].get("path", ""), path, "error path")
    if etype:
        eq(ans["error"]["type"], etype, "error type")


def test_malformed_json_is_nacked():
    s, a, _ = F.post("/protocol/v1/init", None, raw=b'{"context": {"action": "init"', sign=False)
    eq(s, 400, "status")
    nack(s, a, "30000", etype="JSON-SCHEMA-ERROR")
    s, a, _ = F.post("/protocol/v1/init", None, raw=b'[1,2,3]', sign=False)
    eq(s, 400, "array body")
    nack(s, a, "30000")


def test_missing_context_fields_are_nacked_with_their_path():
    base = F.make(load_fixture("seed-init-request.json"))
    for field in ["domain", "action", "country", "city", "core_version", "bap_id", "bap_uri",
                  "transaction_id", "message_id", "timestamp", "bpp_id", "bpp_uri"]:
        req = json.loads(json.dumps(base))
        del req["context"][field]
        s, a, _ = F.post("/protocol/v1/init", req)
        eq(s, 400, "missing " + field)
        nack(s, a, "30000", "context." + field, "CONTEXT-ERROR")


def test_context_values_not_served_are_nacked():
    cases = [("city", "std:011"), ("domain", "ONDC:RET14"), ("bpp_id", "other.seller"),
             ("timestamp", "17-11-2022"), ("core_version", "0.9.1")]
    for field, value in cases:
        req = F.make(load_fixture("seed-init-request.json"))
        req["context"][field] = value
        s, a, _ = F.post("/protocol/v1/init", req)
        eq(s, 400, "%s=%s" % (field, value))
        nack(s, a, "30000", "context." + field, "CONTEXT-ERROR")


def test_unknown_and_mismatched_actions():
    req = F.make(load_fixture("seed-init-request.json"))
    s, a, _ = F.post("/protocol/v1/teleport", req)
    eq(s, 404, "unknown action")
    nack(s, a, "30000")
    s, a, _ = F.post("/protocol/v1/select", req)
    eq(s, 400, "action mismatch")
    nack(s, a, "30000", "context.action")


def test_oversized_body_is_413():
    big = b'{"pad":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    s, a, _ = F.post("/protocol/v1/init", None, raw=big, sign=False)
    eq(s, 413, "too large")
    nack(s, a, "30000")


def test_signature_required():
    req = F.make(load_fixture("seed-init-request.json"))
    s, a, h = F.post("/protocol/v1/init", req, sign=False)
    eq(s, 401, "no Authorization")
    nack(s, a, "30016", etype="POLICY-ERROR")
    check("headers=\"(created) (expires) digest\"" in h.get("WWW-Authenticate", ""),
          "WWW-Authenticate names the signed headers")
    s, a, _ = F.post("/protocol/v1/init", req, sign=False, headers={"Authorization": "Signature garbage"})
    eq(s, 401, "garbled Authorization")
    nack(s, a, "30016")


def test_health():
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/health" % F.port, timeout=5) as r:
        eq(r.status, 200, "health")


if __name__ == "__main__":
    F = Fleet().start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close(keep=False)
    sys.exit(rc)
