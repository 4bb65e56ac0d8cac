"""ondc-bench-floor, the benchmark's floor (tools/bench_floor.c): a bare
server that ACKs a request signed by a key of its registry file, and NACKs
one whose signature does not verify, whose signer it does not know, or
whose body is not JSON with a context.action, as the node would."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from harness import BIN, Runner, eq, free_port, load_fixture

SUB = "buyer.floor.test"


class Floor:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ondc-floor-")
        keys = os.path.join(self.dir, "keys")
        os.makedirs(keys, mode=0o700)
        out = subprocess.run([os.path.join(BIN, "ondcctl"), "keygen", "--dir", keys],
                             capture_output=True, text=True, check=True).stdout
        self.key = os.path.join(keys, "signing.key")
        pub = json.loads(out)["signing_public_key"]
        self.registry = os.path.join(self.dir, "registry.json")
        with open(self.registry, "w") as f:
            json.dump([{"subscriber_id": SUB, "ukId": "k1", "signing_public_key": pub,
                        "type": "BAP"}], f)
        self.port = free_port()
        self.proc = subprocess.Popen([os.path.join(BIN, "ondc-bench-floor"), "--listen",
                                      "127.0.0.1:%d" % self.port, "--registry", self.registry,
                                      "--threads", "2"], stderr=subprocess.PIPE, text=True)
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/health" % self.port, timeout=1)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise AssertionError("ondc-bench-floor did not start")

    def sign(self, raw, subscriber=SUB):
        path = os.path.join(self.dir, "body.json")
        with open(path, "wb") as f:
            f.write(raw)
        return subprocess.run([os.path.join(BIN, "ondcctl"), "sign", "--key", self.key,
                               "--subscriber", subscriber, "--ukid", "k1", path],
                              capture_output=True, text=True, check=True).stdout.strip()

    def post(self, raw, auth):
        req = urllib.request.Request("http://127.0.0.1:%d/protocol/v1/init" % self.port, data=raw,
                                     method="POST", headers={"Content-Type": "application/json"})
        if auth:
            req.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self):
        self.proc.terminate()
        err = self.proc.communicate(timeout=10)[1]
        return self.proc.returncode, err


def test_floor_acks_signed_and_nacks_the_rest():
    fl = Floor()
    try:
        body = json.dumps(load_fixture("seed-init-request.json")).encode()
        auth = fl.sign(body)
        status, ans = fl.post(body, auth)
        eq((status, ans["message"]["ack"]["status"]), (200, "ACK"), "a signed init is ACKed")
        # the same header over other bytes: the digest no longer matches
        status, ans = fl.post(body + b" ", auth)
        eq((status, ans["message"]["ack"]["status"], ans["error"]["code"]), (401, "NACK", "30016"),
           "a body changed after signing is refused")
        status, ans = fl.post(body, None)
        eq((status, ans["error"]["code"]), (401, "30016"), "no Authorization header is refused")
        status, ans = fl.post(body, fl.sign(body, subscriber="someone.else"))
        eq((status, ans["error"]["code"]), (401, "30016"), "a signer not in the registry is refused")
        raw = b'{"context":{"domain":"ONDC:RET10"},"message":{}}'
        status, ans = fl.post(raw, fl.sign(raw))
        eq((status, ans["error"]["code"]), (400, "30000"), "a body without context.action is refused")
        raw = b'{"context":'
        status, ans = fl.post(raw, fl.sign(raw))
        eq((status, ans["error"]["code"]), (400, "30000"), "a body that is not JSON is refused")
    finally:
        rc, err = fl.stop()
    eq(rc, 0, "it stops cleanly on SIGTERM")
    eq("served 6 acked 1 nacked 5" in err, True, "it counts what it answered: %s" % err.strip())


def test_floor_version_and_usage():
    out = subprocess.run([os.path.join(BIN, "ondc-bench-floor"), "--version"], capture_output=True,
                         text=True)
    eq((out.returncode, out.stdout.startswith("ondc-bench-floor ")), (0, True), "--version")
    out = subprocess.run([os.path.join(BIN, "ondc-bench-floor")], capture_output=True, text=True)
    eq((out.returncode, "usage:" in out.stderr), (64, True), "no arguments: usage, 64")


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
