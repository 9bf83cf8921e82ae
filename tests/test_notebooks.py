"Run every notebook's inline tests, as `nbdev_test` does (cells flagged `slow` or `gpu` are skipped)."
import io, contextlib, os
import pytest
from conftest import NBS, ROOT

FLAGS = ["slow", "gpu"]

@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    from nbdev.test import test_nb
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        ok, secs = test_nb(nb, skip_flags=FLAGS, basepath=ROOT)
    assert ok, f"{nb.name} failed after {secs:.1f}s:\n{err.getvalue()[-6000:]}"
