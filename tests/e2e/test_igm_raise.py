"""Issues the seller raises (IGM 2.0.0), end to end: from the issue desk
to a logistics provider (a fake one, registered as a BPP), sent signed
with the seller's key as an `issue`, its on_issue answers taken on
/protocol/v1/on_issue and kept with the issue; and the cascade of a buyer
app's issue to the logistics provider (ONDC's IGM 2.0.0 Flow 3): what the
provider asks for and offers reaches the buyer app as on_issue, what the
buyer app provides, accepts and closes reaches the provider as issue.

Bad inputs tried here: on the desk, a raise without "to", without
"order_id", with an unknown order, to the seller itself, to a
counterparty with no uri, with a response time that is not a duration,
with a code that is not an IGM 2.0.0 issue code;
info on an issue nothing was asked of, accept with nothing on offer, any
step after close, cascade of an IGM 1.0.0 issue and a second cascade; on
the network, an on_issue for an issue never raised, from another
subscriber than the one it went to, addressed to another bap_id, without
message.issue.status, and one not signed.
"""
import json
import os
import sys
import uuid

import igm_flow as G
from harness import Fleet, Runner, check, eq, load_fixture, now_ts

F = None
LSP = None
seen = set()


def call(req, action, message=None):
    r = json.loads(json.dumps(req))
    r["context"].update(action=action, message_id=str(uuid.uuid4()), timestamp=now_ts())
    seen.add(r["context"]["message_id"])
    if message is not None:
        r["message"] = message
    s, a, _ = F.post("/protocol/v1/" + action, r)
    eq(s, 200, "%s ACKed: %r" % (action, a))
    calls = F.bap.wait_for(F.bap.by_message(r["context"]["message_id"], "on_" + action), timeout=5)
    return json.loads(calls[0]["raw"]) if calls else None


def pushed(tid, action, after=0):
    def pred(c):
        b = json.loads(c["raw"])
        return (b["context"]["transaction_id"] == tid and b["context"]["message_id"] not in seen
                and b["context"]["action"] == action)
    calls = F.bap.wait_for(pred, count=after + 1)
    check(len(calls) > after, "unsolicited %s #%d arrived" % (action, after + 1))
    return json.loads(calls[after]["raw"])


def delivered_order():
    req = F.make(load_fixture("seed-init-request.json"))
    o = req["message"]["order"]
    ini = call(req, "init")
    o["quote"] = ini["message"]["order"]["quote"]
    o["payment"] = dict(ini["message"]["order"]["payment"], status="PAID")
    o["id"] = "R" + req["context"]["transaction_id"].replace("-", "")[:20]
    o["created_at"] = o["updated_at"] = now_ts()
    c = call(req, "confirm")
    oid = c["message"]["order"]["id"]
    for verb in ("accept", "packed", "picked-up", "out-for-delivery", "delivered"):
        eq(F.admin("POST", "/seller/v1/orders/%s/%s" % (oid, verb))[0], 200, verb)
    return req, F.admin("GET", "/seller/v1/orders/" + oid)[1]["order"]


def lsp_issue(n):
    """The LSP's Nth `issue` received, verified against the registry."""
    calls = LSP.bap.wait_for(lambda c: c["path"].endswith("/issue"), count=n)
    check(len(calls) >= n, "issue #%d reached the logistics provider" % n)
    ok, why = F.verify_callback(calls[n - 1])
    check(ok, "signed by the seller: " + why)
    check(calls[n - 1]["headers"]["Authorization"].startswith('Signature keyId="%s|' % F.subscriber),
          "the seller's key")
    return json.loads(calls[n - 1]["raw"])


def lsp_answer(issue_req, status, code, desc, resolution=None, mutate=None, signed=True):
    """The LSP's on_issue to ISSUE_REQ (as the seller sent it); (HTTP
    status, answer)."""
    body = G.lsp_on_issue(issue_req, LSP.subscriber, status, code, desc, resolution)
    if mutate:
        mutate(body)
    if not signed:
        return F.post("/protocol/v1/on_issue", body, sign=False)[:2]
    return LSP.post("/protocol/v1/on_issue", body)[:2]


def issues_at_lsp():
    return len([c for c in LSP.bap.calls if c["path"].endswith("/issue")])


def raised(iid):
    s, got = F.admin("GET", "/seller/v1/issues/" + iid)
    eq(s, 200, "raised issue shown")
    return got


def test_seller_raises_an_issue_and_takes_the_on_issue():
    _, order = delivered_order()
    body = {"order_id": order["id"], "to": LSP.subscriber, "code": "FLM002",
            "short_desc": "Package damaged in transit", "long_desc": "Box crushed on arrival",
            "domain": "nic2004:60232"}
    for bad, field in (({"to": None}, "to"), ({"order_id": None}, "order_id"),
                       ({"order_id": "NOPE"}, "order_id"), ({"to": F.subscriber}, "to"),
                       ({"to": "nobody.example"}, "to_uri"),
                       ({"expected_response_time": "2 hours"}, "expected_response_time"),
                       ({"code": "BROKEN"}, "code")):
        b = dict(body)
        b.update(bad)
        b = {k: v for k, v in b.items() if v is not None}
        s, a = F.admin("POST", "/seller/v1/issues", b)
        check(s in (400, 404), "refused %r: %s %r" % (bad, s, a))
        eq(a.get("error", {}).get("field"), field, "field named for %r" % bad)
    n0 = issues_at_lsp()
    s, rec = F.admin("POST", "/seller/v1/issues", body)
    eq(s, 200, "raised: %r" % rec)
    iid = rec["id"]
    eq((rec["state"], rec["bpp_id"], rec["order_id"]), ("OPEN", LSP.subscriber, order["id"]), "record")
    sent = lsp_issue(n0 + 1)
    c, i = sent["context"], sent["message"]["issue"]
    eq((c["action"], c["core_version"], c["bap_id"], c["bpp_id"], c["domain"]),
       ("issue", "2.0.0", F.subscriber, LSP.subscriber, "nic2004:60232"), "context")
    eq(c["bap_uri"], F.cfg["bpp_uri"], "answers come back to the seller")
    eq((i["id"], i["status"], i["complainant_id"], i["descriptor"]["code"]),
       (iid, "OPEN", F.subscriber, "FLM002"), "issue")
    eq(sorted(r["ref_type"] for r in i["refs"]), ["FULFILLMENT", "ORDER", "PROVIDER"], "refs")
    eq(i["last_action_id"], i["actions"][-1]["id"], "last action")
    # bad answers are refused with the path, and change nothing
    for mut, path in ((lambda b: b["message"]["issue"].update(id="unknown-issue"), "message.issue.id"),
                      (lambda b: b["context"].update(bap_id="other.seller"), "context.bap_id"),
                      (lambda b: b["message"]["issue"].pop("status"), "message.issue.status")):
        s, a = lsp_answer(sent, "PROCESSING", "PROCESSING", "x", mutate=mut)
        eq(s, 400, "NACK for %s: %r" % (path, a))
        eq((a["error"]["code"], a["error"]["path"]), ("20006", path), "code and path")
    s, a, _ = EVE.post("/protocol/v1/on_issue", dict(sent, context=dict(
        sent["context"], action="on_issue", bpp_id=EVE.subscriber, message_id=str(uuid.uuid4()),
        timestamp=now_ts())))
    eq((s, a["error"]["path"]), (400, "context.bpp_id"), "another subscriber's answer")
    s, a = lsp_answer(sent, "PROCESSING", "PROCESSING", "x", signed=False)
    eq(s, 401, "unsigned answer: %r" % (a,))
    eq(raised(iid)["answers"], [], "nothing kept from refused answers")
    # the provider works on it, asks for more; the desk answers
    eq(lsp_answer(sent, "PROCESSING", "PROCESSING", "Complaint being processed")[0], 200, "ACK")
    s, a = F.admin("POST", "/seller/v1/issues/%s/info" % iid, {"info": "photo"})
    eq(s, 409, "nothing asked yet: %r" % (a,))
    eq(lsp_answer(sent, "PROCESSING", "INFO_REQUESTED", "Photo of the box please")[0], 200, "ACK")
    got = F.bap  # the buyer app hears nothing of an issue the seller raised on its own
    check(not got.wait_for(lambda c: json.loads(c["raw"])["context"].get("bap_id") == F.subscriber,
                           timeout=0.5), "nothing to the buyer app")
    wait_state(iid, "NEED-MORE-INFO")
    s, a = F.admin("POST", "/seller/v1/issues/%s/info" % iid, {})
    eq((s, a.get("error", {}).get("field")), (400, "info"), "info required")
    s, a = F.admin("POST", "/seller/v1/issues/%s/info" % iid, {"info": "Photo: https://x.example/1.png"})
    eq((s, a["state"]), (200, "PROCESSING"), "information provided")
    nxt = lsp_issue(n0 + 2)["message"]["issue"]
    eq(nxt["actions"][-1]["descriptor"]["code"], "INFO_PROVIDED", "sent on")
    eq(nxt["actions"][-1]["ref_type"], "ACTION", "refers to the request")
    s, a = F.admin("POST", "/seller/v1/issues/%s/accept" % iid)
    eq(s, 409, "nothing on offer: %r" % (a,))
    res = G.lsp_refund("LR1", "30.00", now_ts())
    eq(lsp_answer(sent, "PROCESSING", "RESOLUTION_PROPOSED", "Refund offered", res)[0], 200, "ACK")
    wait_proposed(iid, "LR1")
    s, a = F.admin("POST", "/seller/v1/issues/%s/accept" % iid)
    eq(s, 200, "accepted: %r" % (a,))
    acc = lsp_issue(n0 + 3)["message"]["issue"]
    eq((acc["actions"][-1]["descriptor"]["code"], acc["actions"][-1]["ref_id"]),
       ("RESOLUTION_ACCEPTED", "LR1"), "acceptance sent")
    eq(lsp_answer(sent, "RESOLVED", "RESOLVED", "Refunded", res)[0], 200, "ACK")
    wait_state(iid, "RESOLVED")
    s, a = F.admin("POST", "/seller/v1/issues/%s/close" % iid)
    eq((s, a["state"]), (200, "CLOSED"), "closed")
    cl = lsp_issue(n0 + 4)["message"]["issue"]
    eq((cl["status"], cl["actions"][-1]["descriptor"]["code"]), ("CLOSED", "CLOSED"), "closing sent")
    s, a = F.admin("POST", "/seller/v1/issues/%s/close" % iid)
    eq(s, 409, "closed is final")
    eq(lsp_answer(sent, "PROCESSING", "PROCESSING", "late")[0], 200, "a late answer is ACKed")
    got = raised(iid)
    eq(got["state"], "CLOSED", "a late answer changes nothing")
    eq([x["action"] for x in got["answers"]],
       ["PROCESSING", "INFO_REQUESTED", "RESOLUTION_PROPOSED", "RESOLVED"], "answers kept")
    lst = F.admin("GET", "/seller/v1/issues")[1]
    check(any(x["id"] == iid and x["to"] == LSP.subscriber for x in lst["raised"]), "listed as raised")


def wait_state(iid, state, key="state"):
    import time
    end = time.time() + 5
    while time.time() < end:
        if raised(iid).get(key) == state:
            return
        time.sleep(0.05)
    eq(raised(iid).get(key), state, "issue %s" % key)


def wait_proposed(iid, rid):
    wait_state(iid, rid, key="proposed")


def test_cascade_of_a_buyer_issue_to_the_logistics_provider():
    req, order = delivered_order()
    r = json.loads(json.dumps(req))
    r["context"].update(domain="ONDC:RET10", core_version="2.0.0", city="std:080")
    ctx, tid = r["context"], r["context"]["transaction_id"]
    iid, created = str(uuid.uuid4()), now_ts()
    acts = [G.v2_action("OPEN", "Complaint created", created)]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, code="FLM005"))
    eq(on["message"]["issue"]["status"], "PROCESSING", "taken")
    s, a = F.admin("POST", "/seller/v1/issues/%s/cascade" % iid, {})
    eq((s, a.get("error", {}).get("field")), (400, "to"), "cascade needs the counterparty")
    n0 = issues_at_lsp()
    s, casc = F.admin("POST", "/seller/v1/issues/%s/cascade" % iid, {"to": LSP.subscriber})
    eq(s, 200, "cascaded: %r" % (casc,))
    eq(casc["cascade_of"].endswith(iid), True, "linked to the buyer app's issue")
    s, a = F.admin("POST", "/seller/v1/issues/%s/cascade" % iid, {"to": LSP.subscriber})
    eq(s, 409, "a second cascade")
    got = F.admin("GET", "/seller/v1/issues/" + iid)[1]
    eq(got["cascaded_to"]["id"], casc["id"], "the buyer app's issue shows the cascade")
    lst = F.admin("GET", "/seller/v1/issues")[1]
    check(any(x["id"] == iid and x.get("cascaded_to", {}).get("bpp_id") == LSP.subscriber
              for x in lst["issues"]), "the desk list shows it")
    sent = lsp_issue(n0 + 1)
    i = sent["message"]["issue"]
    eq((i["id"], i["descriptor"]["code"]), (casc["id"], "FLM005"), "the buyer app's complaint")
    eq([a["type"] for a in i["actors"]], ["CONSUMER", "INTERFACING_NP"], "consumer and seller app")
    eq(i["source_id"], "CUST1", "source: the consumer")
    # the provider asks for information: the buyer app is asked
    eq(lsp_answer(sent, "PROCESSING", "INFO_REQUESTED", "Photo of the package")[0], 200, "ACK")
    u = pushed(tid, "on_issue")
    last = u["message"]["issue"]["actions"][-1]
    eq((last["descriptor"]["code"], last["descriptor"]["short_desc"]),
       ("INFO_REQUESTED", "Photo of the package"), "cascaded to the buyer app")
    b = u["message"]["issue"]
    acts = b["actions"] + [G.v2_action("INFO_PROVIDED", "Photo: https://buyer.example/p.png",
                                       now_ts(), last["id"], "ACTION")]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, code="FLM005", base=b))
    eq(on["message"]["issue"]["status"], "PROCESSING", "information taken")
    fwd = lsp_issue(n0 + 2)["message"]["issue"]["actions"][-1]
    eq((fwd["descriptor"]["code"], fwd["descriptor"]["short_desc"]),
       ("INFO_PROVIDED", "Photo: https://buyer.example/p.png"), "passed on to the provider")
    # the provider offers a refund: offered to the buyer app, accepted, passed on
    res = G.lsp_refund("LR9", "25.00", now_ts())
    eq(lsp_answer(sent, "PROCESSING", "RESOLUTION_PROPOSED", "Refund offered", res)[0], 200, "ACK")
    p = pushed(tid, "on_issue", after=1)
    pb = p["message"]["issue"]
    eq(pb["actions"][-1]["descriptor"]["code"], "RESOLUTION_PROPOSED", "offered to the buyer app")
    tag = {x["descriptor"]["code"]: x["value"] for x in pb["resolutions"][-1]["tags"][0]["list"]}
    eq(tag.get("REFUND_AMOUNT"), "25.00", "the provider's amount")
    acts = pb["actions"] + [G.v2_action("RESOLUTION_ACCEPTED", "Accepted", now_ts(),
                                        pb["actions"][-1]["ref_id"])]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, code="FLM005", base=pb))
    eq(on["message"]["issue"]["status"], "RESOLVED", "resolved for the buyer app")
    fwd = lsp_issue(n0 + 3)["message"]["issue"]["actions"][-1]
    eq((fwd["descriptor"]["code"], fwd["ref_id"]), ("RESOLUTION_ACCEPTED", "LR9"), "accepted on")
    eq(lsp_answer(sent, "RESOLVED", "RESOLVED", "Refunded", res)[0], 200, "ACK")
    wait_state(casc["id"], "RESOLVED")
    ob = on["message"]["issue"]
    acts = ob["actions"] + [G.v2_action("CLOSED", "Complaint closed", now_ts())]
    call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, status="CLOSED", code="FLM005", base=ob))
    wait_state(casc["id"], "CLOSED")
    eq(lsp_issue(n0 + 4)["message"]["issue"]["status"], "CLOSED", "closing passed on")


def test_cascade_refused_for_igm_1_0_0():
    req, order = delivered_order()
    r = json.loads(json.dumps(req))
    r["context"].update(domain="ONDC:RET10", core_version="1.0.0", city="std:080")
    iid, created = str(uuid.uuid4()), now_ts()
    acts = [G.v1_action(r["context"], "OPEN", "Complaint created", created)]
    call(r, "issue", G.v1_issue(r["context"], order, iid, created, acts))
    s, a = F.admin("POST", "/seller/v1/issues/%s/cascade" % iid, {"to": LSP.subscriber})
    eq(s, 409, "1.0.0: %r" % (a,))


def main():
    global F, LSP, EVE
    F = Fleet()
    LSP = F.add_buyer("lsp.logistics.example", typ="BPP")
    EVE = F.add_buyer("eve.buyer.example")
    F.start()
    try:
        return Runner().run(globals())
    finally:
        F.close()


EVE = None

if __name__ == "__main__":
    sys.exit(main())
