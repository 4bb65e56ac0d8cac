"""Complaints (IGM 1.0.0 and 2.0.0), end to end: a buyer app raises an
issue on a delivered order, the seller works it on the issue desk
(processing, need more info, resolve with a refund, escalate, close), the
buyer app answers, escalates and closes; issue_status at each step; the
refund shows in the order's quote and settlement and reaches the buyer app
as on_update; an issue not answered in its expected response time is
flagged on the desk and in /metrics.

Bad inputs tried here: an issue on another buyer app's order (IGM002, as
an unknown order), issue_status for another buyer app's issue (IGM005),
an unknown order (IGM002), an item not in the order (IGM004), an issue on
another transaction than its order's (IGM009), a second escalation
(IGM007), an update of an issue never opened (IGM005); NACKed with the
path (IGM001): no issue id, a sub_category that is not a code (ITM99), a
sub_category of another category (FLM01 for ITEM), a phone with letters,
no provider_id, a response time that is not a duration, a complainant
action REOPEN, an IGM 2.0.0 issue without an ORDER ref, a last_action_id
that is not the last action's, an issue_status without issue_id; on the
desk: resolve without an action, a refund above the order's total, a
refund with a non-refund action, close of an issue not resolved, an
unknown desk action.
"""
import json
import sys
import time
import uuid

import igm_flow as G
from harness import Fleet, Runner, check, eq, load_fixture, now_ts

F = None
EVE = None
seen = set()


def money(v):
    r, _, p = str(v).partition(".")
    sign = -1 if r.startswith("-") else 1
    return sign * (abs(int(r)) * 100 + int((p + "00")[:2]))


def call(req, action, message=None, who=None):
    """REQ's context, a fresh message_id; the solicited on_* (or None)."""
    r = json.loads(json.dumps(req))
    r["context"]["action"] = action
    r["context"]["message_id"] = str(uuid.uuid4())
    r["context"]["timestamp"] = now_ts()
    seen.add(r["context"]["message_id"])
    if message is not None:
        r["message"] = message
    post = who.post if who else F.post
    bap = who.bap if who else F.bap
    s, a, _ = post("/protocol/v1/" + action, r)
    eq(s, 200, "%s ACKed: %r" % (action, a))
    calls = bap.wait_for(bap.by_message(r["context"]["message_id"], "on_" + action), timeout=5)
    if not calls:
        return None
    ok, why = F.verify_callback(calls[0])
    check(ok, "signed: " + why)
    return json.loads(calls[0]["raw"])


def nack(req, action, message, path):
    r = json.loads(json.dumps(req))
    r["context"].update(action=action, message_id=str(uuid.uuid4()), timestamp=now_ts())
    r["message"] = message
    s, a, _ = F.post("/protocol/v1/" + action, r)
    eq(s, 400, "NACK for %s: %r" % (path, a))
    eq(a["message"]["ack"]["status"], "NACK", "NACK")
    eq(a["error"]["code"], "IGM001", "code for %s" % path)
    eq(a["error"]["path"], path, "path")


def pushed(tid, action, after=0):
    """Unsolicited ACTION messages on transaction TID (new message ids)."""
    def pred(c):
        b = json.loads(c["raw"])
        return (b["context"]["transaction_id"] == tid and b["context"]["message_id"] not in seen
                and b["context"]["action"] == action)
    calls = F.bap.wait_for(pred, count=after + 1)
    check(len(calls) > after, "unsolicited %s #%d arrived" % (action, after + 1))
    ok, why = F.verify_callback(calls[after])
    check(ok, "signed: " + why)
    return json.loads(calls[after]["raw"])


def desk(path, verb, body=None, want=200):
    s, a = F.admin("POST", "/seller/v1/issues/%s/%s" % (path, verb), body)
    eq(s, want, "desk %s: %r" % (verb, a))
    return a


def delivered_order():
    """A confirmed order, accepted and delivered; (confirm request, order)."""
    req = F.make(load_fixture("seed-init-request.json"))
    o = req["message"]["order"]
    ini = call(req, "init")
    check("error" not in ini, "init: %r" % ini.get("error"))
    o["quote"] = ini["message"]["order"]["quote"]
    o["payment"] = dict(ini["message"]["order"]["payment"], status="PAID")
    o["id"] = "G" + req["context"]["transaction_id"].replace("-", "")[:20]
    o["created_at"] = o["updated_at"] = now_ts()
    c = call(req, "confirm")
    check("error" not in c, "confirm: %r" % c.get("error"))
    oid = c["message"]["order"]["id"]
    for verb in ("accept", "packed", "picked-up", "out-for-delivery", "delivered"):
        eq(F.admin("POST", "/seller/v1/orders/%s/%s" % (oid, verb))[0], 200, verb)
    s, got = F.admin("GET", "/seller/v1/orders/" + oid)
    eq(got["order"]["state"], "Completed", "delivered")
    return req, got["order"]


def igm_ctx(req, version="1.0.0"):
    r = json.loads(json.dumps(req))
    r["context"].update(domain="ONDC:RET10", core_version=version, city="std:080")
    return r


def test_igm_1_0_0_issue_info_refund_escalation_close():
    req, order = delivered_order()
    r = igm_ctx(req)
    ctx, tid = r["context"], r["context"]["transaction_id"]
    iid = str(uuid.uuid4())
    created = now_ts()
    acts = [G.v1_action(ctx, "OPEN", "Complaint created", created)]
    on = call(r, "issue", G.v1_issue(ctx, order, iid, created, acts))
    check("error" not in on, "on_issue: %r" % on.get("error"))
    ra = on["message"]["issue"]["issue_actions"]["respondent_actions"]
    eq([a["respondent_action"] for a in ra], ["PROCESSING"], "acknowledged as processing")
    eq(ra[0]["updated_by"]["org"]["name"], "%s::ONDC:RET10" % F.subscriber, "respondent org")
    eq(on["message"]["issue"]["created_at"], created, "created_at kept")
    st = call(r, "issue_status", {"issue_id": iid})
    eq(st["message"]["issue"]["id"], iid, "issue_status answers the issue")
    check("resolution" not in st["message"]["issue"], "no resolution yet")
    # the seller asks for more, the buyer app answers
    a = desk(iid, "need-info", {"info": "Please send a photo of the pack"})
    eq(a["state"], "NEED-MORE-INFO", "desk state")
    u = pushed(tid, "on_issue_status")
    eq(u["message"]["issue"]["issue_actions"]["respondent_actions"][-1]["respondent_action"],
       "NEED-MORE-INFO", "the buyer app hears NEED-MORE-INFO")
    st = call(r, "issue_status", {"issue_id": iid})
    eq(st["message"]["issue"]["issue_actions"]["respondent_actions"][-1]["respondent_action"],
       "NEED-MORE-INFO", "issue_status shows it")
    acts.append(G.v1_action(ctx, "OPEN", "Photo attached", now_ts()))
    on = call(r, "issue", G.v1_issue(ctx, order, iid, created, acts))
    eq(on["message"]["issue"]["issue_actions"]["respondent_actions"][-1]["respondent_action"],
       "PROCESSING", "information taken")
    eq(F.admin("GET", "/seller/v1/issues/" + iid)[1]["state"], "PROCESSING", "processing again")
    # resolution with a refund, above the total first
    total = money(order["quote"]["price"]["value"])
    desk(iid, "resolve", {"action": "REFUND", "refund_amount": "9999.00"}, want=400)
    desk(iid, "resolve", {"action": "NO-ACTION", "refund_amount": "1.00"}, want=400)
    desk(iid, "resolve", {}, want=400)
    a = desk(iid, "resolve", {"action": "REFUND", "refund_amount": "50.00",
                              "short_desc": "Refund for the spoilt pack"})
    eq(a["state"], "RESOLVED", "resolved")
    u = pushed(tid, "on_issue_status", after=1)
    res = u["message"]["issue"]["resolution"]
    eq((res["action_triggered"], res["refund_amount"]), ("REFUND", "50.00"), "resolution")
    eq(u["message"]["issue"]["resolution_provider"]["respondent_info"]["type"],
       "TRANSACTION-COUNTERPARTY-NP", "resolution provider")
    upd = pushed(tid, "on_update")
    q = upd["message"]["order"]["quote"]
    eq(money(q["price"]["value"]), total - 5000, "the refund is off the quote")
    eq(sum(money(b["price"]["value"]) for b in q["breakup"]), money(q["price"]["value"]),
       "the rows still sum to the price")
    refund_rows = [b for b in q["breakup"] if b["@ondc/org/title_type"] == "refund"]
    eq(len(refund_rows), 1, "one refund row")
    sd = upd["message"]["order"]["payment"]["@ondc/org/settlement_details"]
    eq([(x["settlement_phase"], x["settlement_amount"]) for x in sd if x.get("settlement_counterparty") == "buyer"],
       [("refund", "50.00")], "a refund settlement to the buyer")
    eq(F.admin("GET", "/seller/v1/orders/" + order["id"])[1]["order"]["quote"]["price"]["value"],
       q["price"]["value"], "stored with the order")
    st = call(r, "issue_status", {"issue_id": iid})
    eq(st["message"]["issue"]["resolution"]["refund_amount"], "50.00", "issue_status: resolved")
    # not satisfied: escalated to a grievance, once
    acts.append(G.v1_action(ctx, "ESCALATE", "Not satisfied", now_ts()))
    on = call(r, "issue", G.v1_issue(ctx, order, iid, created, acts, issue_type="GRIEVANCE"))
    check("error" not in on, "escalation taken: %r" % on.get("error"))
    got = F.admin("GET", "/seller/v1/issues/" + iid)[1]
    eq((got["state"], got["level"]), ("PROCESSING", "GRIEVANCE"), "a grievance, processing")
    acts.append(G.v1_action(ctx, "ESCALATE", "Again", now_ts()))
    on = call(r, "issue", G.v1_issue(ctx, order, iid, created, acts, issue_type="GRIEVANCE"))
    eq(on["error"]["code"], "IGM007", "a second escalation")
    acts.pop()
    desk(iid, "escalate", want=409)
    desk(iid, "close", want=409)
    desk(iid, "resolve", {"action": "NO-ACTION", "short_desc": "Refund already made"})
    pushed(tid, "on_issue_status", after=2)
    acts.append(G.v1_action(ctx, "CLOSE", "Thanks", now_ts()))
    on = call(r, "issue", G.v1_issue(ctx, order, iid, created, acts, status="CLOSED",
                                     rating="THUMBS-UP"))
    eq(on, None, "a closing gets no on_issue")
    got = F.admin("GET", "/seller/v1/issues/" + iid)[1]
    eq((got["state"], got["rating"]), ("CLOSED", "THUMBS-UP"), "closed with its rating")
    desk(iid, "processing", want=409)
    desk(iid, "frobnicate", want=404)


def test_igm_2_0_0_info_resolution_accepted_refund_close():
    req, order = delivered_order()
    r = igm_ctx(req, "2.0.0")
    ctx, tid = r["context"], r["context"]["transaction_id"]
    iid = str(uuid.uuid4())
    created = now_ts()
    acts = [G.v2_action("OPEN", "Complaint created", created)]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts))
    check("error" not in on, "on_issue: %r" % on.get("error"))
    i = on["message"]["issue"]
    eq(i["status"], "PROCESSING", "processing")
    eq([a["descriptor"]["code"] for a in i["actions"]], ["OPEN", "PROCESSING"], "actions")
    eq(i["last_action_id"], i["actions"][-1]["id"], "last_action_id")
    eq(i["respondent_ids"], [F.subscriber], "the seller app responds")
    check(any(a["id"] == F.subscriber and a["type"] == "COUNTERPARTY_NP" for a in i["actors"]),
          "the seller app among the actors")
    eq(on["message"]["update_target"], [{"path": "issue.actions", "action": "APPENDED"}], "update_target")
    desk(iid, "need-info", {"info": "Please send the invoice"})
    u = pushed(tid, "on_issue")
    eq(u["message"]["issue"]["actions"][-1]["descriptor"]["code"], "INFO_REQUESTED", "info requested")
    base = u["message"]["issue"]
    acts = base["actions"] + [G.v2_action("INFO_PROVIDED", "Invoice attached", now_ts(),
                                          base["actions"][-1]["id"], "ACTION")]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, base=base))
    eq(on["message"]["issue"]["actions"][-1]["descriptor"]["code"], "PROCESSING", "info taken")
    total = money(order["quote"]["price"]["value"])
    desk(iid, "resolve", {"action": "REFUND", "refund_amount": "30.00"})
    u = pushed(tid, "on_issue", after=1)
    base = u["message"]["issue"]
    eq(base["status"], "PROCESSING", "a proposal keeps it processing")
    eq(base["actions"][-1]["descriptor"]["code"], "RESOLUTION_PROPOSED", "proposed")
    rid = base["actions"][-1]["ref_id"]
    res = [x for x in base["resolutions"] if x["id"] == rid][0]
    eq(res["descriptor"]["code"], "REFUND", "a refund on offer")
    desk(iid, "resolve", {"action": "NO-ACTION"}, want=409)
    eq(F.admin("GET", "/seller/v1/orders/" + order["id"])[1]["order"]["quote"]["price"]["value"],
       order["quote"]["price"]["value"], "nothing refunded before it is accepted")
    acts = base["actions"] + [G.v2_action("RESOLUTION_ACCEPTED", "Accepted", now_ts(), rid)]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, base=base))
    eq(on["message"]["issue"]["status"], "RESOLVED", "resolved on acceptance")
    eq(on["message"]["issue"]["actions"][-1]["descriptor"]["code"], "RESOLVED", "RESOLVED action")
    upd = pushed(tid, "on_update")
    eq(money(upd["message"]["order"]["quote"]["price"]["value"]), total - 3000, "refund taken")
    st = call(r, "issue_status", {"issue_id": iid})
    eq(st["message"]["issue"]["status"], "RESOLVED", "issue_status (2.0.0)")
    base = on["message"]["issue"]
    acts = base["actions"] + [G.v2_action("CLOSED", "Closing", now_ts())]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, status="CLOSED", base=base))
    eq(on, None, "a closing gets no on_issue")
    eq(F.admin("GET", "/seller/v1/issues/" + iid)[1]["state"], "CLOSED", "closed")


def test_igm_2_0_0_escalation_by_level():
    req, order = delivered_order()
    r = igm_ctx(req, "2.0.0")
    ctx = r["context"]
    iid = str(uuid.uuid4())
    created = now_ts()
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, [G.v2_action("OPEN", "x", created)]))
    base = on["message"]["issue"]
    acts = base["actions"] + [G.v2_action("RESOLUTION_REJECTED", "Not resolved", now_ts())]
    on = call(r, "issue", G.v2_issue(ctx, order, iid, created, acts, level="GRIEVANCE", base=base))
    i = on["message"]["issue"]
    eq((i["status"], i["level"]), ("PROCESSING", "GRIEVANCE"), "escalated")
    check(any(a["type"] == "COUNTERPARTY_NP_GRO" for a in i["actors"]), "the grievance officer joins")
    check(F.subscriber + "-GRO" in i["respondent_ids"], "and responds")


def test_desk_escalation_and_overdue_flags():
    req, order = delivered_order()
    r = igm_ctx(req)
    ctx, tid = r["context"], r["context"]["transaction_id"]
    iid = str(uuid.uuid4())
    created = now_ts()
    acts = [G.v1_action(ctx, "OPEN", "Complaint created", created)]
    call(r, "issue", G.v1_issue(ctx, order, iid, created, acts, response="PT1S", resolution="PT2S"))
    time.sleep(2.5)
    lst = F.admin("GET", "/seller/v1/issues?overdue=1")[1]["issues"]
    mine = [x for x in lst if x["id"] == iid]
    eq(len(mine), 1, "listed as overdue")
    eq((mine[0]["overdue_response"], mine[0]["overdue_resolution"]), (True, True), "both times missed")
    s, text = F.admin("GET", "/metrics")
    line = [l for l in text.splitlines() if l.startswith('ondc_issues_overdue{kind="response"}')]
    check(line and int(line[0].split()[-1]) >= 1, "/metrics flags it: %r" % line)
    a = desk(iid, "escalate", {"note": "To our grievance officer"})
    eq((a["level"], a["state"]), ("GRIEVANCE", "PROCESSING"), "escalated on the desk")
    u = pushed(tid, "on_issue_status")
    last = u["message"]["issue"]["issue_actions"]["respondent_actions"][-1]
    eq(last["updated_by"]["person"]["name"], "Grievance officer", "the grievance officer answers")
    got = F.admin("GET", "/seller/v1/issues/" + iid)[1]
    eq((got["overdue_response"], got["overdue_resolution"]), (False, True),
       "answered now; the resolution still late")


def test_other_buyer_unknown_order_and_mismatches():
    req, order = delivered_order()
    r = igm_ctx(req)
    ctx = r["context"]
    iid = str(uuid.uuid4())
    created = now_ts()
    acts = [G.v1_action(ctx, "OPEN", "Complaint created", created)]
    call(r, "issue", G.v1_issue(ctx, order, iid, created, acts))
    # another buyer app: the order and the issue are not there for it
    e = EVE.make(r)
    e["context"].update(domain="ONDC:RET10", core_version="1.0.0", city="std:080",
                        transaction_id=ctx["transaction_id"])
    ectx = dict(e["context"])
    on = call(e, "issue", G.v1_issue(ectx, order, str(uuid.uuid4()), created,
                                     [G.v1_action(ectx, "OPEN", "x", created)]), who=EVE)
    eq(on["error"]["code"], "IGM002", "another buyer app's order is unknown to it")
    eq(on["error"]["path"], "message.issue.order_details.id", "path")
    on = call(e, "issue_status", {"issue_id": iid}, who=EVE)
    eq(on["error"]["code"], "IGM005", "another buyer app's issue is unknown to it")
    on = call(e, "issue", G.v1_issue(ectx, order, iid, created,
                                     [G.v1_action(ectx, "OPEN", "x", created)]), who=EVE)
    eq(on["error"]["code"], "IGM002", "the same issue id under its name changes nothing")
    eq(F.admin("GET", "/seller/v1/issues/%s?bap_id=%s" % (iid, EVE.subscriber))[0], 404,
       "no issue stored for it")
    # unknown order, item, transaction, issue
    o2 = dict(order, id="NO-SUCH-ORDER")
    on = call(r, "issue", G.v1_issue(ctx, o2, str(uuid.uuid4()), created, acts))
    eq((on["error"]["code"], on["error"]["path"]), ("IGM002", "message.issue.order_details.id"),
       "unknown order")
    o3 = dict(order, items=[{"id": "NOT-AN-ITEM"}])
    on = call(r, "issue", G.v1_issue(ctx, o3, str(uuid.uuid4()), created, acts))
    eq((on["error"]["code"], on["error"]["path"]),
       ("IGM004", "message.issue.order_details.items[0].id"), "unknown item")
    r2 = json.loads(json.dumps(r))
    r2["context"]["transaction_id"] = str(uuid.uuid4())
    on = call(r2, "issue", G.v1_issue(ctx, order, str(uuid.uuid4()), created, acts))
    eq((on["error"]["code"], on["error"]["path"]), ("IGM009", "context.transaction_id"),
       "another transaction")
    on = call(r, "issue", G.v1_issue(ctx, order, str(uuid.uuid4()), created,
                                     acts + [G.v1_action(ctx, "ESCALATE", "x", now_ts())]))
    eq(on["error"]["code"], "IGM005", "an escalation of an issue never opened")
    on = call(r, "issue_status", {"issue_id": "nothing-" + iid})
    eq(on["error"]["code"], "IGM005", "issue_status of an unknown issue")


def test_malformed_issues_are_nacked_with_the_path():
    req, order = delivered_order()
    r = igm_ctx(req)
    ctx = r["context"]
    created = now_ts()
    acts = [G.v1_action(ctx, "OPEN", "Complaint created", created)]

    def v1(mut):
        m = G.v1_issue(ctx, order, str(uuid.uuid4()), created, json.loads(json.dumps(acts)))
        mut(m["issue"])
        return m

    nack(r, "issue", v1(lambda i: i.pop("id")), "message.issue.id")
    nack(r, "issue", v1(lambda i: i.update(sub_category="ITM99")), "message.issue.sub_category")
    nack(r, "issue", v1(lambda i: i.update(sub_category="FLM01")), "message.issue.sub_category")
    nack(r, "issue", v1(lambda i: i["complainant_info"]["contact"].update(phone="98ab879870")),
         "message.issue.complainant_info.contact.phone")
    nack(r, "issue", v1(lambda i: i["order_details"].pop("provider_id")),
         "message.issue.order_details.provider_id")
    nack(r, "issue", v1(lambda i: i["expected_response_time"].update(duration="2 hours")),
         "message.issue.expected_response_time.duration")
    nack(r, "issue", v1(lambda i: i["issue_actions"]["complainant_actions"][0].update(
        complainant_action="REOPEN")), "message.issue.issue_actions.complainant_actions[0].complainant_action")
    r2 = igm_ctx(req, "2.0.0")
    c2 = r2["context"]

    def v2(mut):
        m = G.v2_issue(c2, order, str(uuid.uuid4()), created, [G.v2_action("OPEN", "x", created)])
        mut(m["issue"])
        return m

    nack(r2, "issue", v2(lambda i: i.update(refs=[x for x in i["refs"] if x["ref_type"] != "ORDER"])),
         "message.issue.refs")
    nack(r2, "issue", v2(lambda i: i.update(last_action_id="A-OTHER")), "message.issue.last_action_id")
    nack(r, "issue_status", {"id": "x"}, "message.issue_id")
    # nothing of them was kept: a good one goes through after them
    on = call(r, "issue", v1(lambda i: None))
    check("error" not in on, "a good issue after the bad ones: %r" % on.get("error"))


if __name__ == "__main__":
    F = Fleet()
    EVE = F.add_buyer("eve.buyer.example")
    F.start()
    try:
        sys.exit(Runner().run(globals()))
    finally:
        F.close()
