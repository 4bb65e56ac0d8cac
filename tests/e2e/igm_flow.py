"""IGM complaints as a buyer app sends them (IGM 1.0.0 and 2.0.0), for the
end-to-end tests (test_igm.py) and the conformance player
(scripts/conformance_igm.py): builders of issue / issue_status messages
about an order the buyer app holds, in the shape of ONDC's IGM examples.
"""
import copy
import uuid

from harness import now_ts

PHONE = "9879879870"


def _org(bap_id, domain):
    return "%s::%s" % (bap_id, domain)


def v1_action(ctx, action, desc, ts):
    return {"complainant_action": action, "short_desc": desc, "updated_at": ts,
            "updated_by": {"org": {"name": _org(ctx["bap_id"], ctx["domain"])},
                           "contact": {"phone": "9450394039", "email": "care@buyer.example"},
                           "person": {"name": "Buyer app desk"}}}


def v1_issue(ctx, order, issue_id, created_at, actions, status="OPEN", category="ITEM",
             sub="ITM04", desc="Issue with product quality", issue_type="ISSUE",
             response="PT2H", resolution="P1D", rating=None):
    """message.issue of an IGM 1.0.0 issue on ORDER (the order as on_confirm
    returned it); ACTIONS the complainant actions so far."""
    f = [x for x in order.get("fulfillments", []) if x.get("type", "Delivery") == "Delivery"]
    issue = {
        "id": issue_id, "category": category, "sub_category": sub,
        "complainant_info": {"person": {"name": "Sam Manuel"},
                             "contact": {"phone": PHONE, "email": "sam@buyer.example"}},
        "order_details": {"id": order["id"], "state": order.get("state", "Completed"),
                          "items": [{"id": it["id"], "quantity": 1} for it in order["items"][:1]],
                          "fulfillments": [{"id": x["id"], "state": "Order-delivered"} for x in f[:1]],
                          "provider_id": order["provider"]["id"]},
        "description": {"short_desc": desc, "long_desc": desc + ": details",
                        "additional_desc": {"url": "https://buyer.example/desc.txt",
                                            "content_type": "text/plain"},
                        "images": ["https://buyer.example/img1.png"]},
        "source": {"network_participant_id": ctx["bap_id"], "type": "CONSUMER"},
        "expected_response_time": {"duration": response},
        "expected_resolution_time": {"duration": resolution},
        "status": status, "issue_type": issue_type,
        "issue_actions": {"complainant_actions": actions},
        "created_at": created_at, "updated_at": actions[-1]["updated_at"],
    }
    if rating:
        issue["rating"] = rating
    return {"issue": issue}


def v2_actors(ctx):
    org = _org(ctx["bap_id"], ctx["domain"])
    return [
        {"id": "CUST1", "type": "CONSUMER",
         "info": {"org": {"name": org}, "person": {"name": "Sam Manuel"},
                  "contact": {"phone": PHONE, "email": "sam@buyer.example"}}},
        {"id": "NP1", "type": "INTERFACING_NP",
         "info": {"org": {"name": org}, "person": {"name": "John Doe"},
                  "contact": {"phone": "9450394039", "email": "care@buyer.example"}}},
    ]


def v2_action(code, desc, ts, ref_id=None, ref_type=None):
    a = {"id": str(uuid.uuid4()), "descriptor": {"code": code, "short_desc": desc},
         "updated_at": ts, "action_by": "NP1", "actor_details": {"name": "John Doe"}}
    if ref_id:
        a["ref_id"] = ref_id
        a["ref_type"] = ref_type or "RESOLUTIONS"
    return a


def v2_issue(ctx, order, issue_id, created_at, actions, status="OPEN", level="ISSUE",
             code="ITM004", response="PT2H", resolution="P1D", base=None):
    """message.issue of an IGM 2.0.0 issue. BASE: the issue as the seller
    last sent it (its actors and resolutions are kept, as buyer apps do)."""
    f = [x for x in order.get("fulfillments", []) if x.get("type", "Delivery") == "Delivery"]
    refs = [{"ref_id": order["id"], "ref_type": "ORDER"},
            {"ref_id": order["provider"]["id"], "ref_type": "PROVIDER"}]
    refs += [{"ref_id": x["id"], "ref_type": "FULFILLMENT"} for x in f[:1]]
    refs += [{"ref_id": order["items"][0]["id"], "ref_type": "ITEM",
              "tags": [{"descriptor": {"code": "message.order.items"},
                        "list": [{"descriptor": {"code": "quantity.selected.count"}, "value": "1"}]}]}]
    issue = copy.deepcopy(base) if base else {}
    issue.update({
        "id": issue_id, "status": status, "level": level, "created_at": created_at,
        "updated_at": actions[-1]["updated_at"],
        "expected_response_time": {"duration": response},
        "expected_resolution_time": {"duration": resolution},
        "refs": issue.get("refs", refs), "actors": issue.get("actors", v2_actors(ctx)),
        "source_id": "CUST1", "complainant_id": "NP1",
        "descriptor": {"code": code, "short_desc": "Issue with product quality",
                       "long_desc": "Product quality is not correct"},
        "last_action_id": actions[-1]["id"], "actions": actions,
    })
    issue.pop("resolver_ids", None) if not issue.get("resolutions") else None
    msg = {"issue": issue}
    if base:
        msg["update_target"] = [{"path": "issue.actions", "action": "APPENDED"}]
    return msg


def fresh_ts():
    return now_ts()


def lsp_on_issue(issue_req, lsp_id, status, code, desc, resolution=None):
    """A logistics provider's on_issue (IGM 2.0.0) to ISSUE_REQ, the issue
    a seller app raised as sent: the provider's actor and action appended,
    RESOLUTION (a resolutions entry) offered or confirmed when given."""
    ctx = dict(issue_req["context"], action="on_issue", message_id=str(uuid.uuid4()),
               timestamp=now_ts())
    issue = copy.deepcopy(issue_req["message"]["issue"])
    issue.pop("update_target", None)
    issue["actors"].append({"id": "LSP1", "type": "COUNTERPARTY_NP",
                            "info": {"org": {"name": _org(lsp_id, ctx["domain"])},
                                     "person": {"name": "Alice Jones"},
                                     "contact": {"phone": "9450394140", "email": "care@lsp.example"}}})
    issue["respondent_ids"] = ["LSP1"]
    act = {"id": str(uuid.uuid4()), "descriptor": {"code": code, "short_desc": desc},
           "updated_at": ctx["timestamp"], "action_by": "LSP1", "actor_details": {"name": "Alice Jones"}}
    if resolution:
        issue["resolutions"] = [resolution]
        issue["resolver_ids"] = ["LSP1"]
        act["ref_id"], act["ref_type"] = resolution["id"], "RESOLUTIONS"
    issue["actions"].append(act)
    issue.update(status=status, last_action_id=act["id"], updated_at=act["updated_at"])
    return {"context": ctx, "message": {"update_target": [{"path": "issue.actions", "action": "APPENDED"}],
                                        "issue": issue}}


def lsp_refund(rid, amount, ts):
    """A resolution the provider offers: a refund of AMOUNT."""
    return {"id": rid, "descriptor": {"code": "REFUND", "short_desc": "Refund for the damage"},
            "updated_at": ts, "proposed_by": "LSP1",
            "tags": [{"descriptor": {"code": "RESOLUTION_DETAILS"},
                      "list": [{"descriptor": {"code": "REFUND_AMOUNT"}, "value": amount}]}]}
