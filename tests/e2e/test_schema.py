"""ONDC's retail schema at the ingress, end to end: every retail request is
held to the rules for its action and version before it is ACKed.

For each of the ten actions, at 1.2.0 and 1.2.5: the request of
tests/fixtures/retail/ (as ONDC's examples are) is ACKed; then broken ones
are NACKed 400 with JSON-SCHEMA-ERROR, code 30000 and the JSON path, and
none is journaled; and the next valid request is ACKed again.

Bad inputs tried here: a required field missing (search payment, select
items' location_id, init billing, confirm quote, status/track/cancel/
support ids, update target, rating id, ttl), a wrong type (a count as a
string, tracking as a string, a rating value as an object), a value not in
the enum (finder fee type, fulfillment type, payment status, cancel reason
at 1.2.5, update target), a pattern not met (finder fee amount, an order id
with a space, a timestamp without milliseconds, a billing email), an empty
array (a search tag's list, init fulfillments at 1.2.5), a key a 1.2.5
search does not allow, a upi settlement without its address.
"""
import sys

from harness import RETAIL_ACTIONS, Fleet, Runner, check, eq

F = None

# (action, version, dotted path to change, new value or DEL, path the NACK names)
DEL = object()
BROKEN = [
    ("search", "1.2.0", "message.intent.payment", DEL, "message.intent.payment"),
    ("search", "1.2.0", "message.intent.payment.@ondc/org/buyer_app_finder_fee_type", "amount",
     "message.intent.payment.@ondc/org/buyer_app_finder_fee_type"),
    ("search", "1.2.5", "message.intent.payment.@ondc/org/buyer_app_finder_fee_amount", "3.333",
     "message.intent.payment.@ondc/org/buyer_app_finder_fee_amount"),
    ("search", "1.2.0", "message.intent.tags.0.list", [], "message.intent.tags[0].list"),
    ("search", "1.2.5", "message.promo", {}, "message.promo"),
    ("select", "1.2.0", "message.order.items.0.location_id", DEL,
     "message.order.items[0].location_id"),
    ("select", "1.2.5", "message.order.items.0.quantity.count", "1",
     "message.order.items[0].quantity.count"),
    ("select", "1.2.0", "context.ttl", DEL, "context.ttl"),
    ("init", "1.2.0", "message.order.billing", DEL, "message.order.billing"),
    ("init", "1.2.0", "message.order.billing.email", "asha at example",
     "message.order.billing.email"),
    ("init", "1.2.0", "message.order.fulfillments.0.type", "Self-Pickup",
     "message.order.fulfillments[0].type"),
    ("init", "1.2.5", "message.order.fulfillments", [], "message.order.fulfillments"),
    ("confirm", "1.2.0", "message.order.quote", DEL, "message.order.quote"),
    ("confirm", "1.2.5", "message.order.fulfillments.0.tracking", "false",
     "message.order.fulfillments[0].tracking"),
    ("confirm", "1.2.0", "message.order.payment.status", "DONE", "message.order.payment.status"),
    ("confirm", "1.2.0", "message.order.id", "O 1", "message.order.id"),
    ("confirm", "1.2.5", "message.order.payment.@ondc/org/settlement_details.0.upi_address", DEL,
     "message.order.payment.@ondc/org/settlement_details[0].upi_address"),
    ("status", "1.2.0", "message.order_id", DEL, "message.order_id"),
    ("status", "1.2.5", "context.timestamp", "NOW_NO_MS", "context.timestamp"),
    ("track", "1.2.5", "message.order_id", "", "message.order_id"),
    ("cancel", "1.2.5", "message.cancellation_reason_id", "007", "message.cancellation_reason_id"),
    ("cancel", "1.2.0", "message.order_id", 42, "message.order_id"),
    ("update", "1.2.0", "message.update_target", "fulfillment", "message.update_target"),
    ("update", "1.2.5", "message.order.fulfillments", DEL, "message.order.fulfillments"),
    ("rating", "1.2.0", "message.id", DEL, "message.id"),
    ("rating", "1.2.5", "message.value", {"stars": 5}, "message.value"),
    ("support", "1.2.0", "message.ref_id", DEL, "message.ref_id"),
]


def journal_rows():
    out = F.ctl("--config", F.config, "journal", "list")
    return [l for l in out.splitlines()[1:] if l.strip()]


def edit(req, path, value):
    parts = path.split(".")
    at = req
    for p in parts[:-1]:
        at = at[int(p)] if isinstance(at, list) else at.setdefault(p, {})
    last = parts[-1]
    if value is DEL:
        del at[last]
    elif value == "NOW_NO_MS":
        at[last] = at[last][:19] + "Z"
    elif isinstance(at, list):
        at[int(last)] = value
    else:
        at[last] = value


def post(req):
    return F.post("/protocol/v1/" + req["context"]["action"], req)[:2]


def acked(req, what):
    s, a = post(req)
    eq((s, a), (200, {"message": {"ack": {"status": "ACK"}}}), what)


def test_valid_requests_are_acked():
    for v in ("1.2.0", "1.2.5"):
        for action in RETAIL_ACTIONS:
            acked(F.retail(action, v), "%s %s as ONDC's examples send it: ACK" % (action, v))
    acked(F.retail("confirm", "1.2.5", domain="ONDC:RET11"), "an F&B confirm: ACK")


def test_broken_requests_are_nacked_with_the_path():
    for action, v, path, value, where in BROKEN:
        before = len(journal_rows())
        req = F.retail(action, v)
        edit(req, path, value)
        s, a = post(req)
        what = "%s %s with %s = %r" % (action, v, path, "deleted" if value is DEL else value)
        eq(s, 400, what + ": HTTP 400")
        eq(a["message"]["ack"]["status"], "NACK", what + ": NACK")
        eq(a["error"]["type"], "JSON-SCHEMA-ERROR", what + ": type")
        eq(a["error"]["code"], "30000", what + ": code")
        eq(a["error"]["path"], where, what + ": path")
        check(where in a["error"]["message"], what + ": the message names the path: %r" % a["error"])
        eq(len(journal_rows()), before, what + ": nothing journaled")
        # the node is not stuck on it: the next valid request is ACKed
        acked(F.retail(action, v), what + ": the next valid request")
    check(not [c for c in F.bap.calls if b'"error"' in c["raw"] and b"JSON-SCHEMA" in c["raw"]],
          "a refused request has no callback")


def test_core_1_0_0_is_not_held_to_the_retail_schema():
    # the seed's core 1.0.0 domain has no retail schema: context checks only
    req = F.retail("search")
    req["context"].update({"domain": "nic2004:52110", "core_version": "1.0.0"})
    req["message"]["intent"] = {"item": {"descriptor": {"name": "milk"}}}
    acked(req, "a 1.0.0 search without the finder fee: ACK")


if __name__ == "__main__":
    F = Fleet().start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
