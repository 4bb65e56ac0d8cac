"""Orders placed as a buyer app would, for the tests of the seller's side
(the admin API, the seller's webhook, the console): init and confirm of
the seed request on a Fleet, each on_* awaited and its signature checked."""
import json
import urllib.error
import urllib.request
import uuid

from harness import check, eq, load_fixture, now_ts


def call(F, req, action, message=None):
    r = json.loads(json.dumps(req))
    r["context"]["action"] = action
    r["context"]["message_id"] = str(uuid.uuid4())
    r["context"]["timestamp"] = now_ts()
    if message is not None:
        r["message"] = message
    s, a, _ = F.post("/protocol/v1/" + action, r)
    eq(s, 200, "%s ACKed: %r" % (action, a))
    calls = F.bap.wait_for(F.bap.by_message(r["context"]["message_id"], "on_" + action))
    check(calls, "on_%s arrived" % action)
    ok, why = F.verify_callback(calls[0])
    check(ok, "signed: " + why)
    return json.loads(calls[0]["raw"])


def place_order(F, items=(("42602101", 1),), oid=None):
    """init and confirm of ITEMS ((item id, count), ...); returns (request, order id)."""
    req = F.make(load_fixture("seed-init-request.json"))
    o = req["message"]["order"]
    o["items"] = [{"id": i, "quantity": {"count": n}, "fulfillment_id": "1"} for i, n in items]
    ini = call(F, req, "init")
    check("error" not in ini, "init: %r" % ini.get("error"))
    o["quote"] = ini["message"]["order"]["quote"]
    o["payment"] = dict(ini["message"]["order"]["payment"], status="PAID")
    o["id"] = oid or "A" + req["context"]["transaction_id"].replace("-", "")[:20]
    o["created_at"] = o["updated_at"] = now_ts()
    c = call(F, req, "confirm")
    check("error" not in c, "confirm: %r" % c.get("error"))
    return req, c["message"]["order"]["id"]


def admin_raw(F, method, path, body=None, headers=None, token=True):
    """METHOD PATH on the admin listener: (status, headers, raw body)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + F.admin_token
    h.update(headers or {})
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (F.admin_port, path), data=data,
                                 headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
