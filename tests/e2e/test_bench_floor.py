"""ondc-bench-floor, the benchmark's floor (tools/bench_floor.c): a bare
server that ACKs a request signed by a key of its registry file, and NACKs
one whose signature does not verify, whose signer it does not know, or
whose body is not JSON with a context.action, as the node would. With
--roundtrip it also sends each ACKed request's on_* back to its bap_uri,
signed with the node's key; a request without a bap_uri is NACKed."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from harness import BIN, FakeBuyerApp, Runner, eq, free_port, load_fixture

SUB = "buyer.floor.test"
NODE = "seller.floor.test"


class Floor:
    def __init__(self, roundtrip=None):
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
        args = [os.path.join(BIN, "ondc-bench-floor"), "--listen", "127.0.0.1:%d" % self.port,
                "--registry", self.registry, "--threads", "2"]
        if roundtrip:
            # the node's own key pair, its public half in the registry file
            # for ondcctl verify
            nkeys = os.path.join(self.dir, "node")
            os.makedirs(nkeys, mode=0o700)
            out = subprocess.run([os.path.join(BIN, "ondcctl"), "keygen", "--dir", nkeys],
                                 capture_output=True, text=True, check=True).stdout
            with open(self.registry) as f:
                recs = json.load(f)
            recs.append({"subscriber_id": NODE, "ukId": "n1", "type": "BPP",
                         "signing_public_key": json.loads(out)["signing_public_key"]})
            with open(self.registry, "w") as f:
                json.dump(recs, f)
            args += ["--roundtrip", "--key", os.path.join(nkeys, "signing.key"), "--subscriber",
                     NODE, "--ukid", "n1"] + roundtrip
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
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


def roundtrip_floor(senders):
    fl = Floor(roundtrip=senders)
    bap = FakeBuyerApp()
    try:
        body = load_fixture("seed-init-request.json")
        body["context"]["bap_uri"] = bap.uri
        mids = []
        for i in range(3):
            body["context"]["message_id"] = "floor-rt-%d" % i
            raw = json.dumps(body).encode()
            status, ans = fl.post(raw, fl.sign(raw))
            eq((status, ans["message"]["ack"]["status"]), (200, "ACK"), "init %d is ACKed" % i)
            mids.append(body["context"]["message_id"])
        got = bap.wait_for(lambda c: True, count=3)
        eq(len(got), 3, "each ACKed init's on_init came back")
        eq(sorted(json.loads(c["raw"])["context"]["message_id"] for c in got), mids,
           "one on_init for each message_id")
        for c in got:
            on = json.loads(c["raw"])
            eq((c["path"], on["context"]["action"], on["context"]["bpp_id"],
                on["context"]["transaction_id"]),
               ("/ondc/1.0/on_init", "on_init", NODE, body["context"]["transaction_id"]),
               "the on_init goes to bap_uri + on_init, from the node, in the request's transaction")
            eq(on["message"], body["message"], "its message is the request's")
            p = os.path.join(fl.dir, "on.json")
            with open(p, "wb") as f:
                f.write(c["raw"])
            v = subprocess.run([os.path.join(BIN, "ondcctl"), "verify", "--registry", fl.registry,
                                "--header", c["headers"].get("Authorization", ""), p],
                               capture_output=True, text=True)
            eq(v.returncode, 0, "its signature verifies with the node's key: %s" % v.stdout.strip())
        # bad input: no bap_uri to answer to is NACKed, and nothing is sent
        del body["context"]["bap_uri"]
        raw = json.dumps(body).encode()
        status, ans = fl.post(raw, fl.sign(raw))
        eq((status, ans["error"]["code"], ans["error"]["path"]), (400, "30000", "context.bap_uri"),
           "an init without a bap_uri is refused")
    finally:
        rc, err = fl.stop()
        bap.close()
    eq(rc, 0, "it stops cleanly on SIGTERM")
    eq("served 4 acked 3 nacked 1 on_sent 3 on_failed 0" in err, True,
       "it counts the on_* it sent: %s" % err.strip())


def test_roundtrip_floor_blocking_senders():
    """two sender threads, one on_* at a time each"""
    roundtrip_floor(["--senders", "2"])


def test_roundtrip_floor_multi_sender():
    """one sender thread with a curl multi handle, up to 8 on_* at once"""
    roundtrip_floor(["--senders", "1", "--multi", "8"])


def test_floor_version_and_usage():
    out = subprocess.run([os.path.join(BIN, "ondc-bench-floor"), "--version"], capture_output=True,
                         text=True)
    eq((out.returncode, out.stdout.startswith("ondc-bench-floor ")), (0, True), "--version")
    out = subprocess.run([os.path.join(BIN, "ondc-bench-floor")], capture_output=True, text=True)
    eq((out.returncode, "usage:" in out.stderr), (64, True), "no arguments: usage, 64")
    out = subprocess.run([os.path.join(BIN, "ondc-bench-floor"), "--listen", "127.0.0.1:1",
                          "--registry", "/dev/null", "--roundtrip"], capture_output=True, text=True)
    eq((out.returncode, "usage:" in out.stderr), (64, True), "--roundtrip without --key: usage, 64")


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
