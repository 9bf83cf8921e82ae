"Shared pytest settings: the repository root and the notebooks of the book."
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))

def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes; skipped unless --runslow")

def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")

# the notebooks whose inline tests take longest, slowest first (pytest --durations=60 on 2 cores, 2026-12-07: 544, 246, 201, 130,
# 116, 111 and 71 s; every other test takes under 32 s). They are collected first, so that with `--maxschedchunk 2` (Makefile)
# each worker takes the next slowest as it frees up and the two workers end together; collected in file order, they had all
# fallen into one worker's first chunk and the suite ran for 1,900 s with the other worker idle for the last half of it.
SLOWEST = ["04_baselines", "10a_multiple_imputation", "index", "13_cli", "12_benchmark", "07_miracle", "10_miri"]

def _start_rank(item) -> tuple:
    "Where a test starts: the slowest notebooks in SLOWEST's order, the other notebooks, then everything else (a stable sort)."
    if not item.nodeid.startswith("tests/test_notebooks.py"): return (2, 0)
    nb = item.callspec.id
    return (0, SLOWEST.index(nb)) if nb in SLOWEST else (1, 0)

def pytest_collection_modifyitems(config, items):
    items.sort(key=_start_rank)
    if config.getoption("--runslow"): return
    skip = pytest.mark.skip(reason="slow: run with --runslow (make bench / make experiments)")
    for item in items:
        if "slow" in item.keywords: item.add_marker(skip)
