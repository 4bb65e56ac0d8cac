"""The README's configuration reference is the config table's own output."""
import os
import re
import subprocess
import sys

from harness import BIN, TOP, Runner, eq


def test_readme_config_reference_matches_the_config_table():
    ref = subprocess.run([os.path.join(BIN, "ondcctl"), "config-doc"], capture_output=True,
                         text=True, check=True).stdout
    readme = open(os.path.join(TOP, "README.md")).read()
    m = re.search(r"<!-- config-reference:start -->\n(.*)<!-- config-reference:end -->", readme, re.S)
    eq(m is not None, True, "README has the reference markers")
    eq(m.group(1), ref, "README reference is current (run `make docs`)")


if __name__ == "__main__":
    sys.exit(Runner().run(globals()))
