"Shared pytest settings: the repository root and the notebooks of the book."
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))

def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes; skipped unless --runslow")

def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")

def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"): return
    skip = pytest.mark.skip(reason="slow: run with --runslow (make bench / make experiments)")
    for item in items:
        if "slow" in item.keywords: item.add_marker(skip)
