"""The systemd units: a reload of ondc-gateway.target reaches every unit
(ReloadPropagatedFrom), the worker units follow "workers" (the generator
links ondc-worker@FAMILY.N for each copy the config asks for, one of each
family when the config cannot be read), and an instance's name gives the
worker its family. systemd need not run here: the generator is run as
systemd runs it (one output folder), the template's command line is
expanded as systemd expands it (%i, %%, $$) and run with the worker
replaced by echo, and systemd-analyze verify checks the files where it is
installed.

Bad inputs tried: a config that does not load (unknown key): the
generator still makes one worker of each family.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from harness import BIN, TOP, Runner, check, eq

UNITS = os.path.join(TOP, "etc", "systemd")
GEN = os.path.join(UNITS, "ondc-gateway-generator")


def unit(name):
    return open(os.path.join(UNITS, name)).read()


def generate(cfg):
    d = tempfile.mkdtemp(prefix="ondc-gen-")
    try:
        p = os.path.join(d, "ondc.json")
        with open(p, "w") as f:
            json.dump(cfg, f)
        out = os.path.join(d, "out")
        r = subprocess.run(["sh", GEN, out], capture_output=True, text=True,
                           env=dict(os.environ, ONDC_CONFIG=p, ONDCCTL=os.path.join(BIN, "ondcctl"),
                                    ONDC_UNIT_DIR="/lib/systemd/system"))
        eq(r.returncode, 0, "generator: %s" % r.stderr)
        wants = os.path.join(out, "ondc-gateway.target.wants")
        links = {n: os.readlink(os.path.join(wants, n)) for n in os.listdir(wants)}
        return links
    finally:
        shutil.rmtree(d)


def test_every_unit_takes_reloads_from_the_target():
    services = [n for n in os.listdir(UNITS) if n.endswith(".service")]
    eq(len(services), 5, "ingress, admin, dispatcher, callback, worker@")
    for n in services:
        text = unit(n)
        check("\nReloadPropagatedFrom=ondc-gateway.target\n" in text, "%s: ReloadPropagatedFrom" % n)
        check("\nPartOf=ondc-gateway.target\n" in text, "%s: PartOf" % n)
        check("\nExecReload=/bin/kill -HUP $MAINPID\n" in text, "%s: ExecReload sends SIGHUP" % n)
        check("\nUser=ondc\n" in text, "%s runs as ondc" % n)


def test_workers_follow_the_config():
    links = generate({"workers": {"discovery": 2, "order": 3, "fulfillment": 1, "post-fulfillment": 2}})
    want = ["ondc-worker@discovery.0.service", "ondc-worker@discovery.1.service",
            "ondc-worker@order.0.service", "ondc-worker@order.1.service", "ondc-worker@order.2.service",
            "ondc-worker@fulfillment.0.service", "ondc-worker@post-fulfillment.0.service",
            "ondc-worker@post-fulfillment.1.service"]
    eq(sorted(links), sorted(want), "one unit per copy")
    for n, target in links.items():
        eq(target, "/lib/systemd/system/ondc-worker@.service", "%s links the template" % n)
    # the shipped production config: 2 discovery, 2 order
    prod = json.load(open(os.path.join(TOP, "etc", "ondc-production.json")))
    links = generate(prod)
    eq(len(links), sum(prod["workers"].values()), "production config's workers")
    check("ondc-worker@order.1.service" in links, "second order worker")
    # a config that does not load: one of each family, not none
    links = generate({"workers": {"order": 2}, "unknown_key": 1})
    eq(sorted(links), sorted(["ondc-worker@discovery.0.service", "ondc-worker@order.0.service",
                              "ondc-worker@fulfillment.0.service",
                              "ondc-worker@post-fulfillment.0.service"]), "fallback")
    # the target no longer names the workers itself
    check("ondc-worker@" not in unit("ondc-gateway.target").split("[Install]")[0].split("Wants=")[1]
          .splitlines()[0], "target's Wants= leaves the workers to the generator")


def expand(line, instance):
    """A unit's command line as systemd runs it: specifiers, then $$."""
    line = line.replace("%%", "\0").replace("%i", instance).replace("\0", "%")
    return line.replace("$$", "$")


def test_instance_name_gives_the_family():
    text = unit("ondc-worker@.service")
    start = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
    pre = re.search(r"^ExecStartPre=(.*)$", text, re.M).group(1)
    for inst, fam in [("order.0", "order"), ("post-fulfillment.1", "post-fulfillment"),
                      ("discovery", "discovery")]:
        for line, tail in [(start, ""), (pre, " --check-config")]:
            cmd = expand(line, inst).replace("exec /usr/bin/ondc-worker", "exec echo")
            argv = [a.strip("'") for a in re.findall(r"'[^']*'|\S+", cmd)]
            r = subprocess.run(argv, capture_output=True, text=True)
            eq(r.stdout.strip(), "--config /etc/ondc-gateway/ondc.json --family %s%s" % (fam, tail),
               "instance %s" % inst)
    check("\nEnvironment=ONDC_INSTANCE=%i\n" in text, "metrics instance is the unit's instance")


def test_systemd_analyze_verify():
    if not shutil.which("systemd-analyze"):
        print("    (no systemd-analyze: skipped)")
        return
    d = tempfile.mkdtemp(prefix="ondc-units-")
    try:
        for n in os.listdir(UNITS):
            if n.endswith((".service", ".target")):
                shutil.copy(os.path.join(UNITS, n), d)
        os.symlink("ondc-worker@.service", os.path.join(d, "ondc-worker@order.1.service"))
        names = [os.path.join(d, n) for n in os.listdir(d) if not n.endswith("@.service")]
        r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + names, capture_output=True,
                           text=True, timeout=60)
        # the binaries are not installed here: those lines only
        other = [l for l in (r.stdout + r.stderr).splitlines()
                 if l.strip() and "is not executable: No such file or directory" not in l]
        eq(other, [], "systemd-analyze verify")
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
