"""End-to-end harness: a real fleet on loopback and a fake buyer app.

Fleet() makes a temporary directory with a config on free ports, key pairs
for the node and for a buyer app ("carecommerce.in"), a local registry file
listing both, the demo catalog in a fresh LMDB store, and starts the fleet
with scripts/fleet (real supervisord, real ZeroMQ sockets, real LMDB). The
fake buyer app records every callback and can be told to answer 500, hang,
or NACK. Requests are signed with `ondcctl sign`, callbacks verified with
`ondcctl verify`, so the test speaks to the node exactly as a buyer app would.
"""
import copy
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("ONDC_BIN", os.path.join(TOP, os.environ.get("BUILD", "build"), "bin"))
FIXTURES = os.path.join(TOP, "tests", "fixtures")
BUYER = "carecommerce.in"


# how much slower than the plain build the fleet runs: the sanitizer
# build's processes start and answer a few times slower, so time-outs a
# test sets for the node (not the ones it checks are kept) scale by this
SAN_SLOWDOWN = 3 if os.environ.get("BUILD") == "build-san" else 1

_GIVEN_PORTS = set()


def port_range():
    """The ports this test file may take. tests/run.sh runs several files at
    once and gives each its own E2E_SLOT: a block of ports below the
    kernel's ephemeral range, so two files never pick the same port in the
    moment between the pick and the fleet's bind. Alone, any free port."""
    slot = os.environ.get("E2E_SLOT")
    if slot is None or not slot.isdigit():
        return None
    lo = 12000 + int(slot) % 40 * 500
    return lo, lo + 500


def free_port():
    """A port free now and not handed out before by this process: the kernel
    can give the same ephemeral port to two binds in a row once the first
    socket is closed, and a config with listen == admin_listen is refused."""
    span = port_range()
    if span:
        for port in range(*span):
            if port in _GIVEN_PORTS:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                s.close()
            _GIVEN_PORTS.add(port)
            return port
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def now_ts(offset_ms=0):
    t = time.time() + offset_ms / 1000.0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def load_fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


RETAIL_ACTIONS = ("search", "select", "init", "confirm", "status", "track", "cancel", "update",
                  "rating", "support")


def retail_request(action, version="1.2.0", domain="ONDC:RET10"):
    """A request for ACTION that meets ONDC's retail schema at VERSION (1.2.0
    or 1.2.5; the ingress NACKs one that does not): the demo catalog's
    provider, store and item, as ONDC's examples send them
    (tests/fixtures/retail/ACTION.json). Change what a test needs, then
    Fleet.make it for fresh ids; Fleet.retail does both."""
    req = load_fixture(os.path.join("retail", action + ".json"))
    req["context"]["core_version"] = version
    req["context"]["domain"] = domain
    return req


class FakeBuyerApp:
    """Records callbacks; MODE decides the answer: ack, nack, 500, hang."""

    def __init__(self):
        self.port = free_port()
        self.calls = []
        self.mode = "ack"
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                mode = outer.mode
                with outer.cond:
                    outer.calls.append({"path": self.path, "headers": dict(self.headers),
                                        "raw": raw, "t": time.time(), "mode": mode})
                    outer.cond.notify_all()
                if mode == "hang":
                    time.sleep(30)
                    return
                if mode == "500":
                    body, code = b'{"error":"down"}', 500
                elif mode == "nack":
                    body, code = b'{"message":{"ack":{"status":"NACK"}}}', 200
                else:
                    body, code = b'{"message":{"ack":{"status":"ACK"}}}', 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def uri(self):
        return "http://127.0.0.1:%d/ondc/1.0/" % self.port

    def wait_for(self, pred, timeout=10.0, count=1):
        """Wait until COUNT recorded calls satisfy PRED; return them."""
        end = time.time() + timeout
        with self.cond:
            while True:
                got = [c for c in self.calls if pred(c)]
                if len(got) >= count:
                    return got
                left = end - time.time()
                if left <= 0:
                    return got
                self.cond.wait(left)

    def by_message(self, message_id, action=None):
        def pred(c):
            try:
                ctx = json.loads(c["raw"])["context"]
            except Exception:
                return False
            return ctx.get("message_id") == message_id and (action is None or ctx.get("action") == action)
        return pred

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Fleet:
    def __init__(self, workers=None, extra=None, catalog="catalog-demo.json"):
        self.dir = tempfile.mkdtemp(prefix="ondc-e2e-")
        self.bap = FakeBuyerApp()
        self.port = free_port()
        self.admin_port = free_port()
        self.subscriber = "seller.test.local"
        keys = os.path.join(self.dir, "keys")
        os.makedirs(os.path.join(keys, "buyer"), mode=0o700)
        os.chmod(keys, 0o700)
        self.node_pub = json.loads(self.ctl("keygen", "--dir", keys))
        self.buyer_pub = json.loads(self.ctl("keygen", "--dir", os.path.join(keys, "buyer")))
        self.buyer_key = os.path.join(keys, "buyer", "signing.key")
        self.registry = os.path.join(self.dir, "registry.json")
        self.write_registry()
        token = os.path.join(keys, "admin.token")
        with open(token, "w") as f:
            f.write(uuid.uuid4().hex)
        os.chmod(token, 0o600)
        self.admin_token = open(token).read().strip()
        cfg = {
            "subscriber_id": self.subscriber,
            "unique_key_id": "k1",
            "signing_private_key_file": "keys/signing.key",
            "encryption_private_key_file": "keys/encryption.key",
            "bpp_uri": "http://127.0.0.1:%d" % self.port,
            "listen": "127.0.0.1:%d" % self.port,
            "admin_listen": "127.0.0.1:%d" % self.admin_port,
            "admin_token_file": "keys/admin.token",
            "data_dir": "data",
            "run_dir": "run",
            "lmdb_map_size_mb": 256,
            "registry": {"file": "registry.json"},
            "domains": ["nic2004:52110", "ONDC:RET10", "ONDC:RET11"],
            "cities": ["std:080"],
            "callback": {"backoff_ms": 100},
            "log_level": "debug",
        }
        if workers:
            cfg["workers"] = workers
        for k, v in (extra or {}).items():
            cfg[k] = v
        # the fake buyer apps listen on loopback: allowed here, never by
        # default (a test that checks the refusal sets it false)
        if isinstance(cfg.get("callback"), dict):
            cfg["callback"].setdefault("allow_private_addresses", True)
        self.cfg = cfg
        self.config = os.path.join(self.dir, "ondc.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f, indent=2)
        if catalog:
            self.ctl("--config", self.config, "catalog", "import", os.path.join(FIXTURES, catalog))
        self.started = False

    def write_registry(self, extra=()):
        def rec(sub, keys, url, typ):
            return {"subscriber_id": sub, "ukId": "k1", "subscriber_url": url, "type": typ,
                    "domain": "ONDC:RET10", "city": "std:080", "country": "IND",
                    "signing_public_key": keys["signing_public_key"],
                    "encr_public_key": keys["encr_public_key"],
                    "valid_from": "2024-01-01T00:00:00.000Z",
                    "valid_until": "2035-01-01T00:00:00.000Z", "status": "SUBSCRIBED"}
        recs = [rec(self.subscriber, self.node_pub, "http://127.0.0.1/", "BPP"),
                rec(BUYER, self.buyer_pub, self.bap.uri, "BAP")] + list(extra)
        recs += [rec(b.subscriber, b.pub, b.bap.uri, b.typ) for b in getattr(self, "others", [])]
        with open(self.registry, "w") as f:
            json.dump(recs, f, indent=2)

    # -- processes --
    def ctl(self, *args, check=True, input=None):
        r = subprocess.run([os.path.join(BIN, "ondcctl")] + list(args), capture_output=True,
                           text=True, input=input)
        if check and r.returncode != 0:
            raise RuntimeError("ondcctl %s failed: %s %s" % (args, r.stdout, r.stderr))
        return r.stdout

    def fleet(self, cmd):
        r = subprocess.run(["bash", os.path.join(TOP, "scripts", "fleet"), cmd, self.config],
                           capture_output=True, text=True, env=dict(os.environ, ONDC_BIN=BIN))
        if r.returncode != 0 and cmd != "status":
            raise RuntimeError("fleet %s failed: %s %s" % (cmd, r.stdout, r.stderr))
        return r.stdout

    def start(self):
        self.fleet("start")
        self.started = True
        return self

    def supervisord_alive(self):
        try:
            with open(os.path.join(self.dir, "run", "supervisord.pid")) as f:
                os.kill(int(f.read().strip()), 0)
            return True
        except (OSError, ValueError):
            return False

    def stop(self):
        # also a fleet a test started through scripts/fleet itself
        if self.started or self.supervisord_alive():
            self.fleet("stop")
            self.started = False

    def sanitizer_reports(self):
        """Every AddressSanitizer/UBSan/LeakSanitizer report in the fleet's
        logs (a process the sanitizer stopped is restarted by supervisord,
        so a report would otherwise pass unseen)."""
        found = []
        d = os.path.join(self.dir, "run", "logs")
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), errors="replace") as f:
                lines = f.read().splitlines()
            for i, line in enumerate(lines):
                if "ERROR: AddressSanitizer" in line or "ERROR: LeakSanitizer" in line \
                        or "runtime error:" in line:
                    found.append("%s: %s" % (name, "\n".join(lines[i:i + 12])))
        return found

    def close(self, keep=False):
        reports = []
        try:
            self.stop()
        finally:
            self.bap.close()
            for b in getattr(self, "others", []):
                b.close()
            reports = self.sanitizer_reports()
            if not keep and not reports and not os.environ.get("KEEP_E2E"):
                shutil.rmtree(self.dir, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer report in %s:\n%s" % (self.dir, "\n\n".join(reports)))

    def logs(self, name):
        p = os.path.join(self.dir, "run", "logs", name)
        return open(p).read() if os.path.exists(p) else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- requests --
    def make(self, body, action=None, fresh=True, bap_uri=True):
        """A request from BODY (a dict): fresh ids and timestamp, our ids."""
        b = copy.deepcopy(body)
        ctx = b.setdefault("context", {})
        if action:
            ctx["action"] = action
        if fresh:
            ctx["transaction_id"] = ctx.get("transaction_id") if fresh == "keep-txn" else str(uuid.uuid4())
            ctx["message_id"] = str(uuid.uuid4())
            ctx["timestamp"] = now_ts()
        if ctx.get("action") != "search" or "bpp_id" in ctx:
            ctx["bpp_id"] = self.subscriber
            ctx["bpp_uri"] = self.cfg["bpp_uri"]
        if bap_uri:
            ctx["bap_id"] = BUYER
            ctx["bap_uri"] = self.bap.uri
        return b

    def retail(self, action, version="1.2.0", domain="ONDC:RET10", fresh=True):
        """retail_request(ACTION, VERSION, DOMAIN) made for this fleet."""
        return self.make(retail_request(action, version, domain), fresh=fresh)

    def sign(self, raw, subscriber=BUYER, key=None, created=None, expires=None):
        p = os.path.join(self.dir, "sign-%s.body" % uuid.uuid4().hex)
        with open(p, "wb") as f:
            f.write(raw)
        args = ["sign", "--key", key or self.buyer_key, "--subscriber", subscriber, "--ukid", "k1"]
        life = self.cfg.get("signature_max_lifetime_s")
        if created is None and life and life < 300:  # ondcctl signs for 300 s
            created = int(time.time())
            expires = created + life
        if created is not None:
            args += ["--created", str(created), "--expires", str(expires)]
        out = self.ctl(*(args + [p])).strip()
        os.unlink(p)
        return out

    def post(self, path, body, sign=True, headers=None, raw=None, timeout=10):
        """POST BODY (dict) or RAW bytes; returns (status, parsed answer, headers)."""
        if raw is None:
            raw = json.dumps(body, separators=(",", ":")).encode()
        h = {"Content-Type": "application/json"}
        if sign:
            h["Authorization"] = self.sign(raw)
        h.update(headers or {})
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=raw,
                                     headers=h, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            data = e.read()
            try:
                parsed = json.loads(data)
            except Exception:
                parsed = data
            return e.code, parsed, dict(e.headers)

    def admin(self, method, path, body=None, token=True, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + self.admin_token
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.admin_port, path), data=data,
                                     headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                try:
                    return r.status, json.loads(raw)
                except Exception:
                    return r.status, raw.decode()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except Exception:
                return e.code, raw.decode()

    def add_buyer(self, subscriber, app=None, typ="BAP"):
        """Another registered buyer app: its own key, registry record (type
        TYP: BAP, or BPP for a counterparty seller app such as a logistics
        provider) and callback sink (APP, any object with .uri, or a new
        FakeBuyerApp). Returns a Buyer. Add it before start: the node reads
        the registry file at start (and again for a key it does not know)."""
        d = os.path.join(self.dir, "keys", subscriber)
        os.makedirs(d, mode=0o700)
        pub = json.loads(self.ctl("keygen", "--dir", d))
        b = Buyer(self, subscriber, os.path.join(d, "signing.key"), pub, app)
        b.typ = typ
        self.others = getattr(self, "others", []) + [b]
        self.write_registry()
        return b

    def verify_callback(self, call):
        """ondcctl verify of a recorded callback against the registry file."""
        p = os.path.join(self.dir, "cb-%s.body" % uuid.uuid4().hex)
        with open(p, "wb") as f:
            f.write(call["raw"])
        auth = call["headers"].get("Authorization", "")
        r = subprocess.run([os.path.join(BIN, "ondcctl"), "verify", "--registry", self.registry,
                            "--header", auth, p], capture_output=True, text=True)
        os.unlink(p)
        return r.returncode == 0, r.stdout.strip()


class Buyer:
    """Another buyer app on the same fleet (Fleet.add_buyer): requests made
    and signed as it, answers to its own fake buyer app."""

    def __init__(self, fleet, subscriber, key, pub, app=None):
        self.fleet, self.subscriber, self.key, self.pub = fleet, subscriber, key, pub
        self.typ = "BAP"
        self.bap = app or FakeBuyerApp()

    def make(self, body, action=None, fresh=True):
        b = self.fleet.make(body, action=action, fresh=fresh)
        b["context"]["bap_id"] = self.subscriber
        b["context"]["bap_uri"] = self.bap.uri
        return b

    def post(self, path, body):
        raw = json.dumps(body, separators=(",", ":")).encode()
        auth = self.fleet.sign(raw, subscriber=self.subscriber, key=self.key)
        return self.fleet.post(path, None, sign=False, raw=raw, headers={"Authorization": auth})

    def close(self):
        self.bap.close()


class Runner:
    """Tiny test runner: functions named test_*; prints 'N passed, N failed'."""

    def __init__(self):
        self.passed = self.failed = 0

    def run(self, module_globals):
        names = sorted(n for n in module_globals if n.startswith("test_") and callable(module_globals[n]))
        only = os.environ.get("E2E_ONLY")
        for n in names:
            if only and only not in n:
                continue
            t0 = time.time()
            try:
                module_globals[n]()
                self.passed += 1
                print("  ok   %s (%.1fs)" % (n, time.time() - t0), flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure
                self.failed += 1
                import traceback
                print("  FAIL %s: %s" % (n, e), flush=True)
                traceback.print_exc()
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def wait_until(pred, timeout, step=0.1):
    """Call PRED every STEP seconds until it gives something true, for at
    most TIMEOUT seconds; return that, or what PRED gives at the end."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def _short(v, limit=600):
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "... (%d chars)" % len(r)


def eq(a, b, msg=""):
    if a != b:
        raise AssertionError("%s: %s != %s" % (msg, _short(a), _short(b)))
