"""The seller's backend plugged in over a webhook (seller.webhook_url):
every order event reaches it signed (X-Ondc-Signature: sha256=<HMAC-SHA256
of the body with the secret file's contents, its trailing newline
dropped>), through the outbox, so a backend that is down when the events
happen gets all of them once it is up; the acceptance window's warning
(order.expiring) comes before the order is rejected (order.expired); a
backend that keeps failing leaves a dead letter the seller sees and can
send again.

Bad inputs tried here: a backend refusing connections (down), then one
answering 500 past the events' TTL (dead letters); a body whose signature
is checked against a wrong key (must not verify).
"""
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

from harness import Fleet, Runner, check, eq, free_port, load_fixture
from seller_flow import call, place_order

F = None
SECRET = b"s3cret-of-the-seller's-backend"
HOOK_PORT = free_port()


class Backend:
    """The seller's backend: records each POST; MODE "ok" or "500"."""

    def __init__(self, port):
        self.calls, self.mode, self.cond = [], "ok", threading.Condition()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code = 500 if outer.mode == "500" else 200
                with outer.cond:
                    outer.calls.append({"raw": raw, "headers": dict(self.headers), "code": code})
                    outer.cond.notify_all()
                self.send_response(code)
                self.send_header("Content-Length", "0")
                # no keep-alive: a closed backend must not go on answering
                # on a connection it had open
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, pred=lambda e: True):
        out = []
        for c in self.calls:
            if c["code"] == 200:
                e = json.loads(c["raw"])
                if pred(e):
                    out.append((e, c))
        return out

    def wait(self, pred, count=1, timeout=20):
        end = time.time() + timeout
        with self.cond:
            while len(self.events(pred)) < count and time.time() < end:
                self.cond.wait(0.2)
        return self.events(pred)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signed(call_, key=SECRET):
    want = "sha256=" + hmac.new(key, call_["raw"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(call_["headers"].get("X-Ondc-Signature", ""), want)


def of(oid, event):
    return lambda e: e["order_id"] == oid and e["event"] == event


def test_backend_down_then_up_loses_nothing_and_every_event_is_signed():
    # the backend is down: nothing listens on its port
    req, oid = place_order(F, (("42602105", 1),))
    s, a = F.admin("GET", "/seller/v1/outbox?status=pending&action=seller_webhook")
    check(any(r["transaction_id"] == req["context"]["transaction_id"] for r in a["rows"]),
          "the event waits in the outbox: %r" % a)
    req2, oid2 = place_order(F, (("42602101", 1),))
    eq(call(F, req2, "cancel", {"order_id": oid2, "cancellation_reason_id": "001"}).get("error"), None,
       "the buyer cancels")
    eq(F.admin("POST", "/seller/v1/orders/%s/accept" % oid)[0], 200, "accepted")
    call(F, req, "rating", {"rating_category": "Provider", "id": "111863", "value": 4})
    call(F, req, "support", {"ref_id": oid})
    time.sleep(1.5)  # a few tries fail
    B = Backend(HOOK_PORT)
    try:
        got = {}
        for o, ev in ((oid, "order.created"), (oid2, "order.created"), (oid2, "order.cancelled"),
                      (oid, "rating"), (oid, "support")):
            w = B.wait(of(o, ev))
            check(w, "%s of %s arrived once the backend was up" % (ev, o))
            got[(o, ev)] = w[0]
        for (o, ev), (e, c) in got.items():
            check(signed(c), "%s: X-Ondc-Signature verifies" % ev)
            check(not signed(c, SECRET + b"x"), "and not with another key")
            eq(e["bap_id"], "carecommerce.in", "bap_id")
            check(e["event_id"] and e["order"]["id"] == o, "event id and the order")
        e = got[(oid, "order.created")][0]
        eq(e["state"], "Created", "created, waiting for acceptance")
        check(e["accept_by"], "with the time it will be rejected at")
        eq(got[(oid2, "order.cancelled")][0]["data"]["reason"], "001", "the buyer's reason")
        eq(got[(oid, "rating")][0]["data"]["ratings"]["value"], 4, "the rating")
        # a return, after delivery
        for v in ("packed", "picked-up", "out-for-delivery", "delivered"):
            eq(F.admin("POST", "/seller/v1/orders/%s/%s" % (oid, v))[0], 200, v)
        ret = {"update_target": "item", "order": {"id": oid, "fulfillments": [{"type": "Return", "tags": [
            {"code": "return_request", "list": [
                {"code": "id", "value": "R1"}, {"code": "item_id", "value": "42602105"},
                {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
                {"code": "ttl_approval", "value": "PT24H"}, {"code": "ttl_reverseqc", "value": "P3D"}]}]}]}}
        eq(call(F, req, "update", ret).get("error"), None, "return requested")
        w = B.wait(of(oid, "return.requested"))
        check(w and signed(w[0][1]), "return.requested, signed")
        # nothing twice from one row, nothing lost: each event id once
        ids = [e["event_id"] for e, _ in B.events()]
        eq(len(ids), len(set(ids)), "each event once")
    finally:
        B.close()


def test_acceptance_warning_then_expiry():
    B = Backend(HOOK_PORT)
    try:
        req, oid = place_order(F, (("42602097", 1),))
        created = time.time()
        w = B.wait(of(oid, "order.expiring"), timeout=15)
        check(w, "order.expiring arrived")
        check(signed(w[0][1]), "signed")
        eq(w[0][0]["state"], "Created", "still Created")
        x = B.wait(of(oid, "order.expired"), timeout=15)
        check(x, "order.expired arrived")
        check(w[0][0]["at"] < x[0][0]["at"], "the warning came first")
        eq(x[0][0]["state"], "Cancelled", "rejected")
        check(time.time() - created >= 5, "not before the window closed")
        eq(len(B.events(of(oid, "order.expiring"))), 1, "warned once")
    finally:
        B.close()


def test_a_backend_that_keeps_failing_leaves_a_dead_letter():
    # a fleet of its own, whose events live 10 s
    port = free_port()
    G = s_fleet(port, ttl=10)
    B = Backend(port)
    try:
        B.mode = "500"
        req, oid = place_order(G, (("42602097", 1),))
        tid = req["context"]["transaction_id"]
        dead = []
        end = time.time() + 25
        while time.time() < end and not dead:
            time.sleep(0.5)
            s, a = G.admin("GET", "/seller/v1/outbox?status=dead&action=seller_webhook")
            dead = [r for r in a["rows"] if r["transaction_id"] == tid]
        check(dead, "a dead letter after seller.webhook_ttl_s")
        check(dead[0]["attempts"] > 1 and dead[0]["http_status"] == 500, "tried again: %r" % dead[0])
        s, m = G.admin("GET", "/metrics")
        check("ondc_outbox_dead " in m and "ondc_outbox_dead 0\n" not in m, "counted in /metrics")
        B.mode = "ok"
        eq(G.admin("POST", "/seller/v1/outbox/%d/retry" % dead[0]["id"])[0], 200, "sent again")
        check(B.wait(of(oid, "order.created")), "delivered on the retry")
        eq(G.admin("POST", "/seller/v1/outbox/%d/retry" % dead[0]["id"])[0], 409, "not dead any more")
    finally:
        B.close()
        G.close()


def s_fleet(port, ttl):
    G = Fleet(extra={"seller": {"webhook_url": "http://127.0.0.1:%d/ondc-events" % port,
                                "webhook_secret_file": "keys/webhook.secret",
                                "webhook_ttl_s": ttl, "accept_window_s": 8, "accept_warn_s": 5}})
    with open(os.path.join(G.dir, "keys", "webhook.secret"), "wb") as f:
        f.write(SECRET + b"\n")
    os.chmod(os.path.join(G.dir, "keys", "webhook.secret"), 0o600)
    return G.start()


if __name__ == "__main__":
    F = s_fleet(HOOK_PORT, ttl=3600)
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
