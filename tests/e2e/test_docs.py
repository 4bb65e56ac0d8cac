"""The generated parts of the documentation are the code's own output:
the configuration reference in docs/operations.md (`ondcctl config-doc`),
the order state table in docs/protocol.md (`ondcctl state-doc`) and the
ondc-gateway.conf(5) manual page (scripts/config-man). `make docs`
regenerates all three."""
import os
import re
import subprocess
import sys

from harness import BIN, TOP, Runner, eq


def s_block(path, marker):
    text = open(os.path.join(TOP, path)).read()
    m = re.search(r"<!-- %s:start -->\n(.*)<!-- %s:end -->" % (marker, marker), text, re.S)
    eq(m is not None, True, "%s has the %s markers" % (path, marker))
    return m.group(1)


def s_ondcctl(command):
    return subprocess.run([os.path.join(BIN, "ondcctl"), command], capture_output=True,
                          text=True, check=True).stdout


def test_config_reference_matches_the_config_table():
    eq(s_block("docs/operations.md", "config-reference"), s_ondcctl("config-doc"),
       "docs/operations.md configuration reference is current (run `make docs`)")


def test_state_table_matches_the_code():
    table = s_ondcctl("state-doc")
    for state in ("Created", "Order-delivered", "RTO-Disposed", "Return_Delivered"):
        eq("`%s`" % state in table, True, "state-doc names %s" % state)
    eq(s_block("docs/protocol.md", "state-table"), table,
       "docs/protocol.md state table is current (run `make docs`)")


def test_config_man_page_is_current():
    man = subprocess.run([sys.executable, os.path.join(TOP, "scripts", "config-man"),
                          os.path.join(BIN, "ondcctl")], capture_output=True, text=True,
                         check=True).stdout
    eq(open(os.path.join(TOP, "docs", "man", "ondc-gateway.conf.5")).read(), man,
       "docs/man/ondc-gateway.conf.5 is current (run `make docs`)")
    keys = re.findall(r"^\| `([^`]+)` \|", s_ondcctl("config-doc"), re.M)
    eq(all(".B %s\n" % k.replace("-", "\\-") in man for k in keys), True,
       "the man page has every key")


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
