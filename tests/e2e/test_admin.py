"""ondc-admin, the admin listener in a process of its own: what the seller's
API does never holds up the buyer apps' ACKs, and its death costs the
network listener nothing.

What must hold:
- while a large catalog PUT is being parsed and written by ondc-admin, signed
  requests to the network listener are ACKed: each one sent after ondc-admin
  has read the whole upload (nothing left in either socket's queue) is ACKed,
  and the first of them before the upload is answered (the catalog is then
  the new one);
- ondc-admin runs at nice.admin (default 5), below the ingress (nice.ingress 0);
- kill -9 of ondc-admin in the middle of such an upload (early: while it
  parses the body; later: most likely while it holds LMDB's write lock, which
  the ingress's journal commits need next): the network listener goes on
  ACKing and the buyer app gets its on_init; supervisord starts a new
  ondc-admin (the ingress is the same process), which answers the seller's
  API again; the catalog is whole, the old one or the new one.

Bad inputs tried here: a process killed while it may hold LMDB's write lock.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

from harness import Fleet, Runner, check, eq, load_fixture

F = None
ITEMS = 20000


def sup(*args):
    conf = os.path.join(F.dir, "run", "supervisord.conf")
    return subprocess.run(["supervisorctl", "-c", conf] + list(args), capture_output=True,
                          text=True).stdout


def pid_of(name):
    out = sup("pid", "ondc:" + name).strip()
    return int(out) if out.isdigit() and int(out) > 0 else 0


def big_catalog():
    base = load_fixture("catalog-demo.json")
    prov = json.loads(json.dumps(base["bpp/providers"][1]))
    tmpl = prov["items"][0]
    prov["id"] = "BIG"
    prov["items"] = []
    for i in range(ITEMS):
        it = json.loads(json.dumps(tmpl))
        it["id"] = "BIG-%05d" % i
        it["descriptor"]["name"] = "Big Store Item %d %s" % (i, ["rice", "dal", "oil", "salt"][i % 4])
        prov["items"].append(it)
    cat = dict(base)
    cat["bpp/providers"] = [prov]
    return json.dumps(cat, separators=(",", ":")).encode()


def tcp_queues(local_port, remote_port):
    """(tx_queue, rx_queue) of the loopback TCP socket LOCAL_PORT -> REMOTE_PORT
    (/proc/net/tcp), or None if there is none."""
    want = ("0100007F:%04X" % local_port, "0100007F:%04X" % remote_port)
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            p = line.split()
            if (p[1], p[2]) == want:
                tx, rx = p[4].split(":")
                return int(tx, 16), int(rx, 16)
    return None


def wait_read_whole(up, timeout=60):
    """Until the server has read every byte of UP: nothing waits in the
    client's send queue nor in the server's receive queue."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        client = tcp_queues(up.port, F.admin_port)
        server = tcp_queues(F.admin_port, up.port)
        if client is not None and server is not None and client[0] == 0 and server[1] == 0:
            return True
        if up.answered_at is not None or up.error is not None:
            return False
        time.sleep(0.002)
    return False


class Upload(threading.Thread):
    """PUT /seller/v1/catalog with RAW; .handed_over is set once every byte
    is with the kernel (.port: the client's port), .answered_at (monotonic)
    once the answer is in."""

    def __init__(self, raw):
        super().__init__(daemon=True)
        self.raw = raw
        self.port = 0
        self.handed_over = threading.Event()
        self.answered_at = None
        self.status = None
        self.body = None
        self.error = None

    def run(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", F.admin_port, timeout=300)
            c.putrequest("PUT", "/seller/v1/catalog")
            c.putheader("Authorization", "Bearer " + F.admin_token)
            c.putheader("Content-Type", "application/json")
            c.putheader("Content-Length", str(len(self.raw)))
            c.endheaders()
            self.port = c.sock.getsockname()[1]
            c.send(self.raw)
            self.handed_over.set()
            r = c.getresponse()
            data = r.read()
            self.answered_at = time.monotonic()
            self.status = r.status
            self.body = json.loads(data)
        except Exception as e:  # noqa: BLE001 - a killed server is expected in one test
            self.error = e
            self.handed_over.set()


def signed_inits(n):
    """N seed init requests, signed now (the signing is not timed)."""
    out = []
    for _ in range(n):
        req = F.make(load_fixture("seed-init-request.json"))
        raw = json.dumps(req, separators=(",", ":")).encode()
        out.append((req["context"]["message_id"], raw, F.sign(raw)))
    return out


def send(raw, auth):
    c = http.client.HTTPConnection("127.0.0.1", F.port, timeout=30)
    c.request("POST", "/protocol/v1/init", body=raw,
              headers={"Content-Type": "application/json", "Authorization": auth})
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    return r.status, body


def is_ack(status, body):
    return status == 200 and body.get("message", {}).get("ack", {}).get("status") == "ACK"


def catalog_state():
    """'old' (the demo catalog), 'new' (the big one) or what was found."""
    demo = F.admin("PATCH", "/seller/v1/items/42602101", {})[0]
    big = F.admin("PATCH", "/seller/v1/items/BIG/BIG-%05d" % (ITEMS - 1), {})[0]
    return {(200, 404): "old", (404, 200): "new"}.get((demo, big), "demo %d, big %d" % (demo, big))


def demo_back():
    eq(F.admin("PUT", "/seller/v1/catalog", load_fixture("catalog-demo.json"), timeout=120)[0], 200,
       "demo catalog back")


def test_acks_flow_while_a_large_catalog_is_written():
    raw = big_catalog()
    reqs = signed_inits(40)
    up = Upload(raw)
    up.start()
    try:
        check(up.handed_over.wait(120), "upload handed over")
        check(wait_read_whole(up), "ondc-admin read the whole upload")
        answers = []  # (message_id, ACKed, monotonic time of the answer)
        for mid, body, auth in reqs:
            if up.answered_at is not None:
                break
            s, a = send(body, auth)
            answers.append((mid, is_ack(s, a), time.monotonic()))
        up.join(300)
        check(up.error is None, "upload: %r" % up.error)
        eq((up.status, up.body.get("items")), (200, ITEMS), "the catalog is written")
        check(answers, "requests were sent while the upload was in progress")
        eq([m for m, ok, _ in answers if not ok], [], "every request sent meanwhile is ACKed")
        check(answers[0][2] < up.answered_at,
              "the first ACK came before the upload's answer (%.3f s after it)"
              % (answers[0][2] - up.answered_at))
        eq(catalog_state(), "new", "the new catalog is in")
        for mid, _, _ in answers:
            check(F.bap.wait_for(F.bap.by_message(mid, "on_init"), timeout=30), "on_init for " + mid)
    finally:
        up.join(300)
        demo_back()


def test_admin_runs_below_the_ingress():
    def nice(pid):
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[16])
    eq((nice(pid_of("admin")), nice(pid_of("ingress"))), (5, 0), "nice of ondc-admin, ondc-ingress")


def test_no_body_is_read_before_the_token():
    # eight connections each PUT 16 MB to the catalog without the token, in
    # parallel: all 401, and ondc-admin's peak memory does not grow by what
    # they sent (the token is checked on the headers; the body is let go)
    import http.client
    pid = pid_of("admin")

    def hwm_kb():
        with open("/proc/%d/status" % pid) as f:
            return int([l for l in f if l.startswith("VmHWM:")][0].split()[1])

    before = hwm_kb()
    body = b"{" + b" " * (16 << 20) + b"}"
    out = []

    def put(auth):
        c = http.client.HTTPConnection("127.0.0.1", F.admin_port, timeout=60)
        h = {"Content-Type": "application/json"}
        if auth:
            h["Authorization"] = auth
        c.request("PUT", "/seller/v1/catalog", body=body, headers=h)
        r = c.getresponse()
        out.append(r.status)
        r.read()
        c.close()

    ts = [threading.Thread(target=put, args=(None if i % 2 else "Bearer wrong-token-0123456789",))
          for i in range(8)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    eq(out, [401] * 8, "every upload without the token is refused")
    grew = hwm_kb() - before
    check(grew < 16 * 1024, "ondc-admin's peak RSS grew %d kB for 8 x 16 MB refused" % grew)
    eq(pid_of("admin"), pid, "the same ondc-admin")


def test_kill_9_of_ondc_admin_leaves_the_network_listener_acking():
    raw = big_catalog()
    for after_s in (0.2, 0.8):
        kill_9_during_upload(raw, after_s)


def kill_9_during_upload(raw, after_s):
    """kill -9 ondc-admin AFTER_S seconds after it has read RAW's upload."""
    reqs = signed_inits(4)
    ingress, admin = pid_of("ingress"), pid_of("admin")
    check(ingress and admin, "pids: ingress %s, admin %s" % (ingress, admin))
    up = Upload(raw)
    up.start()
    check(up.handed_over.wait(120), "upload handed over")
    check(wait_read_whole(up), "ondc-admin read the whole upload")
    time.sleep(after_s)
    os.kill(admin, signal.SIGKILL)
    up.join(300)
    # the network listener, untouched
    for mid, body, auth in reqs:
        s, a = send(body, auth)
        check(is_ack(s, a), "ACKed with ondc-admin killed: %s %r" % (s, a))
    for mid, _, _ in reqs:
        check(F.bap.wait_for(F.bap.by_message(mid, "on_init"), timeout=30), "on_init for " + mid)
    # supervisord starts a new ondc-admin, which answers again
    deadline = time.time() + 20
    while time.time() < deadline:
        now = pid_of("admin")
        if now and now != admin and "RUNNING" in sup("status", "ondc:admin"):
            break
        time.sleep(0.2)
    check(pid_of("admin") not in (0, admin), "a new ondc-admin: %s" % sup("status", "ondc:admin"))
    deadline = time.time() + 10
    while time.time() < deadline and F.admin("GET", "/health")[0] != 200:
        time.sleep(0.2)
    eq(F.admin("GET", "/health")[0], 200, "the admin listener answers again")
    eq(F.admin("GET", "/seller/v1/orders")[0], 200, "the seller's API too")
    eq(pid_of("ingress"), ingress, "the ingress is the same process")
    state = catalog_state()
    check(state in ("old", "new"), "the catalog is whole: %s" % state)
    if state == "new":
        demo_back()


if __name__ == "__main__":
    F = Fleet(extra={"lmdb_map_size_mb": 1024}).start()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
