"Run every notebook's inline tests, as `nbdev_test` does: each notebook in a fresh process, cells flagged `slow` or `gpu` skipped."
import subprocess, sys
import pytest
from conftest import NBS, ROOT

FLAGS = ["slow", "gpu"]
RUN = """
import sys
from pathlib import Path
from nbdev.test import test_nb
ok, secs = test_nb(Path(sys.argv[1]), skip_flags=sys.argv[2].split(","), basepath=sys.argv[3])
sys.exit(0 if ok else 1)
"""


@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    res = subprocess.run([sys.executable, "-c", RUN, str(nb), ",".join(FLAGS), str(ROOT)], capture_output=True, text=True)
    assert res.returncode == 0, f"{nb.name} failed:\n{(res.stdout + res.stderr)[-6000:]}"
