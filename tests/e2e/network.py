"""A whole network on loopback: a buyer fleet, a gateway fleet and seller
fleets, each a real fleet (scripts/fleet: supervisord, ZeroMQ, LMDB) with
its own config, keys, ports and store, all sharing one registry file.

    net = Network(sellers=2).start()
    status, ans = net.client("POST", "/buyer/v1/search", {...})
    net.seller(0).admin(...)      # a seller's order desk
    net.close()

Catalogs: seller 0 has the demo catalog (tests/fixtures/catalog-demo.json);
seller 1 the same shelves under its own provider ids, names and prices
(every price doubled), so the two are told apart in a merged search.
"""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

from harness import BIN, FIXTURES, TOP, free_port

DOMAIN, CITY = "ONDC:RET10", "std:080"


def second_catalog(path):
    """The demo catalog as another seller's: provider ids, names and prices changed."""
    cat = json.load(open(os.path.join(FIXTURES, "catalog-demo.json")))
    for p in cat["bpp/providers"]:
        p["id"] = "B" + p["id"]
        p["descriptor"]["name"] = "Second Street " + p["descriptor"]["name"]
        for it in p.get("items", []):
            for k in ("value", "maximum_value"):
                if k in it.get("price", {}):
                    it["price"][k] = "%.2f" % (float(it["price"][k]) * 2)
    with open(path, "w") as f:
        json.dump(cat, f)
    return path


class Webhook:
    """The buyer app's backend: records every webhook call."""

    def __init__(self):
        self.port = free_port()
        self.calls = []
        self.cond = threading.Condition()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.cond:
                    outer.calls.append({"headers": dict(self.headers), "raw": raw})
                    outer.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hooks/ondc" % self.port

    def wait_for(self, pred, timeout=15, count=1):
        end = time.time() + timeout
        with self.cond:
            while True:
                got = [c for c in self.calls if pred(c)]
                if len(got) >= count or time.time() >= end:
                    return got
                self.cond.wait(max(0.01, end - time.time()))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Node:
    """One fleet of the network."""

    def __init__(self, net, name, sub, roles, extra=None):
        self.net, self.name, self.sub, self.roles = net, name, sub, roles
        self.dir = os.path.join(net.dir, name)
        os.makedirs(os.path.join(self.dir, "keys"), mode=0o700)
        self.port, self.admin_port = free_port(), free_port()
        self.client_port = free_port() if "buyer" in roles else None
        self.pub = json.loads(net.ctl("keygen", "--dir", os.path.join(self.dir, "keys")))
        self.token = uuid.uuid4().hex
        tok = os.path.join(self.dir, "keys", "admin.token")
        with open(tok, "w") as f:
            f.write(self.token)
        os.chmod(tok, 0o600)
        self.uri = "http://127.0.0.1:%d" % self.port
        cfg = {
            "subscriber_id": sub, "unique_key_id": "k1", "roles": roles,
            "signing_private_key_file": "keys/signing.key",
            "encryption_private_key_file": "keys/encryption.key",
            "bpp_uri": self.uri, "listen": "127.0.0.1:%d" % self.port,
            "admin_listen": "127.0.0.1:%d" % self.admin_port,
            "admin_token_file": "keys/admin.token", "data_dir": "data", "run_dir": "run",
            "lmdb_map_size_mb": 256, "registry": {"file": net.registry},
            "domains": [DOMAIN], "cities": [CITY],
            "callback": {"backoff_ms": 100, "allow_private_addresses": True},
            "log_level": "debug",
        }
        if self.client_port:
            cfg["client_listen"] = "127.0.0.1:%d" % self.client_port
        cfg.update(extra or {})
        self.cfg = cfg
        self.config = os.path.join(self.dir, "ondc.json")
        self.write()
        self.started = False

    def write(self):
        with open(self.config, "w") as f:
            json.dump(self.cfg, f, indent=2)

    def record(self):
        typ = {"seller": "BPP", "buyer": "BAP", "gateway": "BG"}[self.roles[0]]
        return {"subscriber_id": self.sub, "ukId": "k1", "subscriber_url": self.uri, "type": typ,
                "domain": DOMAIN, "city": CITY, "country": "IND",
                "signing_public_key": self.pub["signing_public_key"],
                "encr_public_key": self.pub["encr_public_key"],
                "valid_from": "2024-01-01T00:00:00.000Z",
                "valid_until": "2035-01-01T00:00:00.000Z", "status": "SUBSCRIBED"}

    def fleet(self, cmd):
        r = subprocess.run(["bash", os.path.join(TOP, "scripts", "fleet"), cmd, self.config],
                           capture_output=True, text=True, env=dict(os.environ, ONDC_BIN=BIN))
        if r.returncode != 0 and cmd != "status":
            raise RuntimeError("%s: fleet %s failed: %s %s" % (self.name, cmd, r.stdout, r.stderr))
        return r.stdout

    def start(self):
        self.fleet("start")
        self.started = True

    def stop(self):
        if self.started:
            self.fleet("stop")
            self.started = False

    def logs(self, prog):
        p = os.path.join(self.dir, "run", "logs", prog)
        return open(p).read() if os.path.exists(p) else ""

    def _http(self, port, method, path, body=None, token=None, raw=None, headers=None, timeout=30):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                     headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                out = r.read()
                try:
                    return r.status, json.loads(out) if out else None
                except ValueError:
                    return r.status, out.decode(errors="replace")
        except urllib.error.HTTPError as e:
            out = e.read()
            try:
                return e.code, json.loads(out)
            except Exception:
                return e.code, out.decode(errors="replace")

    def admin(self, method, path, body=None):
        return self._http(self.admin_port, method, path, body, token=self.token)

    def client(self, method, path, body=None, token=True, timeout=30):
        return self._http(self.client_port, method, path, body,
                          token=self.token if token else None, timeout=timeout)

    def post(self, path, raw, headers):
        """POST RAW to the network listener (as another participant would)."""
        return self._http(self.port, "POST", path, raw=raw, headers=headers)

    def sign(self, raw):
        p = os.path.join(self.net.dir, "s-%s.body" % uuid.uuid4().hex)
        with open(p, "wb") as f:
            f.write(raw)
        out = self.net.ctl("sign", "--key", os.path.join(self.dir, "keys", "signing.key"),
                           "--subscriber", self.sub, "--ukid", "k1", p).strip()
        os.unlink(p)
        return out


class Network:
    def __init__(self, sellers=2, gateway=True, webhook=True):
        self.dir = tempfile.mkdtemp(prefix="ondc-net-")
        self.registry = os.path.join(self.dir, "registry.json")
        self.hook = Webhook() if webhook else None
        self.sellers = [Node(self, "seller%d" % i, "seller%d.test.local" % i, ["seller"])
                        for i in range(sellers)]
        self.gateway = Node(self, "gateway", "gateway.test.local", ["gateway"]) if gateway else None
        extra = {}
        if self.gateway:
            extra["buyer"] = {"gateway_uri": self.gateway.uri}
        if self.hook:
            secret = os.path.join(self.dir, "buyer-webhook.secret")
            self.hook_secret = uuid.uuid4().hex
            with open(secret, "w") as f:
                f.write(self.hook_secret)
            os.chmod(secret, 0o600)
            extra.setdefault("buyer", {}).update(webhook_url=self.hook.url,
                                                 webhook_secret_file=secret)
        self.buyer = Node(self, "buyer", "buyer.test.local", ["buyer"], extra)
        self.nodes = self.sellers + ([self.gateway] if self.gateway else []) + [self.buyer]
        with open(self.registry, "w") as f:
            json.dump([n.record() for n in self.nodes], f, indent=2)
        self.sellers[0].net.ctl("--config", self.sellers[0].config, "catalog", "import",
                                os.path.join(FIXTURES, "catalog-demo.json"))
        for s in self.sellers[1:]:
            cat = second_catalog(os.path.join(s.dir, "catalog.json"))
            self.ctl("--config", s.config, "catalog", "import", cat)

    def ctl(self, *args):
        r = subprocess.run([os.path.join(BIN, "ondcctl")] + list(args), capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("ondcctl %s failed: %s %s" % (args, r.stdout, r.stderr))
        return r.stdout

    def start(self):
        for n in self.nodes:
            n.start()
        return self

    def close(self):
        for n in self.nodes:
            try:
                n.stop()
            except Exception as e:  # noqa: BLE001 - stop the others all the same
                print("stop %s: %s" % (n.name, e))
        if self.hook:
            self.hook.close()
        if not os.environ.get("KEEP_E2E"):
            shutil.rmtree(self.dir, ignore_errors=True)
