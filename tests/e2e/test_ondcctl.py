"""ondcctl refuses bad input with a message and exit 64, and does nothing
else; `help` and `--version` (on every binary) answer.

Bad inputs tried: `listen 80000`, `listen abc`, `listen 0`, `listen 9000
--host 10.0.0.300`, `listen 9000 --host 192.0.2.1` (not this machine's),
`outbox list --status bogus`, `dead list --status pending`, `journal show`
with no id, `journal show abc`, `outbox show 0`, `replay x`, unknown options
(`--json` on journal list, config-dump, outbox list, and before the
command; `keygen --bogus`), an option without its value (`load --url`),
an option given twice, too many arguments (`journal list extra`), an
unknown command. `listen PORT` binds loopback unless --host says otherwise.
"""
import os
import subprocess
import sys
import time
import urllib.request

from harness import BIN, Fleet, Runner, check, eq, free_port

F = None
DAEMONS = ["ondc-ingress", "ondc-admin", "ondc-dispatcher", "ondc-worker", "ondc-callback"]


def ctl(*args, timeout=10):
    return subprocess.run([os.path.join(BIN, "ondcctl"), "--config", F.config] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def refused(args, *want):
    r = ctl(*args, timeout=5)
    eq(r.returncode, 64, "%s exits 64 (stdout %r, stderr %r)" % (" ".join(args), r.stdout, r.stderr))
    eq(r.stdout, "", "%s prints nothing on stdout" % " ".join(args))
    for w in want:
        check(w in r.stderr, "%s: %r names %r" % (" ".join(args), r.stderr, w))


def test_listen_refuses_a_port_out_of_range_or_not_a_number():
    refused(["listen", "80000"], "127.0.0.1:80000", "1..65535")
    refused(["listen", "abc"], "127.0.0.1:abc", "1..65535")
    refused(["listen", "0"], "1..65535")
    refused(["listen", "9000", "--host", "10.0.0.300"], "10.0.0.300:9000")
    refused(["listen"], "missing argument")
    refused(["listen", "9000", "9001"], "too many arguments")
    r = ctl("listen", str(free_port()), "--host", "192.0.2.1", timeout=5)
    eq(r.returncode, 1, "an address not of this machine: %r" % r.stderr)
    check("Cannot assign requested address" in r.stderr, r.stderr)


def test_listen_binds_loopback_by_default_and_records_a_callback():
    port = free_port()
    out = os.path.join(F.dir, "listen.out")
    p = subprocess.Popen([os.path.join(BIN, "ondcctl"), "listen", str(port), "--out", out],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(50):
            ss = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True,
                                text=True).stdout
            if ss.strip():
                break
            time.sleep(0.1)
        local = ss.split()[3] if ss.split() else ""
        eq(local, "127.0.0.1:%d" % port, "bound to loopback only: %r" % ss)
        req = urllib.request.Request("http://127.0.0.1:%d/on_init" % port, data=b'{"a":1}',
                                     method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            eq(r.status, 200, "ACK")
        check('"path":"/on_init"' in open(out).read(), "recorded")
    finally:
        p.terminate()
        p.wait(5)
    check("listening on http://127.0.0.1:%d/" % port in p.stderr.read(), "says where it listens")


def test_outbox_and_dead_refuse_an_unknown_status():
    refused(["outbox", "list", "--status", "bogus"], "--status bogus",
            "pending, delivered, nacked or dead")
    refused(["dead", "list", "--status", "pending"], "unknown option --status")
    for status in ["pending", "delivered", "nacked", "dead"]:
        r = ctl("outbox", "list", "--status", status)
        eq(r.returncode, 0, "--status %s: %s" % (status, r.stderr))
        check(r.stdout.startswith("id\tcreated"), "the table's header")


def test_row_ids_are_required_and_numeric():
    refused(["journal", "show"], "journal show", "missing argument")
    refused(["journal", "show", "abc"], "\"abc\" is not a row id")
    refused(["journal", "show", "12x"], "\"12x\" is not a row id")
    refused(["outbox", "show"], "outbox show", "missing argument")
    refused(["outbox", "show", "0"], "\"0\" is not a row id")
    refused(["outbox", "retry", "-1"], "\"-1\" is not a row id")
    refused(["dead", "retry", "x"], "\"x\" is not a row id")
    refused(["replay", "x"], "\"x\" is not a row id")
    r = ctl("journal", "show", "999999")
    eq(r.returncode, 1, "a row that is not there")
    check("no journal row 999999" in r.stderr, r.stderr)


def test_unknown_options_are_refused_naming_the_known_ones():
    refused(["journal", "list", "--json"], "unknown option --json", "--transaction")
    refused(["config-dump", "--json"], "unknown option --json", "takes none")
    refused(["outbox", "list", "--json"], "unknown option --json", "--status")
    refused(["keygen", "--bogus"], "unknown option --bogus", "--dir")
    refused(["journal", "list", "--state", "done", "--state", "dead"], "--state given twice")
    refused(["journal", "list", "extra"], "too many arguments")
    refused(["load", "--url"], "--url needs a value")
    refused(["catalog", "import"], "missing argument")
    refused(["frobnicate"], "unknown command frobnicate")
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "--json", "journal", "list"],
                       capture_output=True, text=True)
    eq(r.returncode, 64, "an unknown option before the command")
    check("unknown option --json" in r.stderr, r.stderr)
    # nothing was done by any of them: the store has no journal row
    eq(ctl("journal", "list").stdout.count("\n"), 1, "journal still empty")


def test_help_and_version_on_every_binary():
    r = subprocess.run([os.path.join(BIN, "ondcctl"), "help"], capture_output=True, text=True)
    eq(r.returncode, 0, "help")
    for cmd in ["keygen", "listen PORT [--host ADDR]", "journal show ID", "outbox list", "help"]:
        check(cmd in r.stdout, "help lists %s" % cmd)
    want = None
    for b in ["ondcctl"] + DAEMONS:
        r = subprocess.run([os.path.join(BIN, b), "--version"], capture_output=True, text=True)
        eq(r.returncode, 0, "%s --version: %s" % (b, r.stderr))
        name, version = r.stdout.split()
        eq(name, b, "%s names itself" % b)
        want = want or version
        eq(version, want, "one version for every binary")
    check(want[0].isdigit(), "a version number: %r" % want)


if __name__ == "__main__":
    F = Fleet()
    try:
        rc = Runner().run(globals())
    finally:
        F.close()
    sys.exit(rc)
