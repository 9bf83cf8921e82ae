"The notebooks are the source: they must be clean (`nbdev_clean`) and the package in sync (`nbdev_export`)."
import filecmp, re, shutil, subprocess, sys
from pathlib import Path
from conftest import ROOT

BIN = Path(sys.executable).parent

def _copy_project(dst):
    "Copy what nbdev reads and writes into `dst`, so the check never touches the working tree."
    for f in ["settings.ini", "setup.py", "README.md"]:
        if (ROOT / f).exists(): shutil.copy2(ROOT / f, dst / f)
    shutil.copytree(ROOT / "nbs", dst / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_proc"))
    shutil.copytree(ROOT / "causalimpute", dst / "causalimpute", ignore=shutil.ignore_patterns("__pycache__"))

def _changed(a, b):
    "Files that differ between two trees, or exist in only one of them."
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__", ".ipynb_checkpoints"])
    out = [str(Path(a) / f) for f in cmp.diff_files + cmp.left_only + cmp.right_only]
    for sub in cmp.common_dirs: out += _changed(Path(a) / sub, Path(b) / sub)
    return out

def _run(tool, cwd):
    res = subprocess.run([str(BIN / tool)], cwd=cwd, capture_output=True, text=True)
    assert res.returncode == 0, f"{tool} failed:\n{res.stdout}\n{res.stderr}"

def _check(tool, tmp_path, what):
    work = tmp_path / "work"; ref = tmp_path / "ref"
    work.mkdir(); ref.mkdir()
    _copy_project(work); _copy_project(ref)
    _run(tool, work)
    changed = [str(Path(p).relative_to(work)) for p in _changed(work / what, ref / what)]
    return changed

def test_notebooks_are_clean(tmp_path):
    changed = _check("nbdev_clean", tmp_path, "nbs")
    assert not changed, f"nbdev_clean changes {changed}: run `make clean-nbs` and commit"

def test_package_in_sync_with_notebooks(tmp_path):
    changed = _check("nbdev_export", tmp_path, "causalimpute")
    assert not changed, f"nbdev_export changes {changed}: the package is out of sync; run `make export` and commit"

def test_readme_generated_from_index():
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "make_readme.py"), "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_exported_parameter_is_documented():
    "Every parameter of every function and class in a module's `__all__` has a docments comment (`python tools/build_docs.py --docments`)."
    sys.path.insert(0, str(ROOT / "tools"))
    from build_docs import undocumented_parameters
    bare = undocumented_parameters()
    assert not bare, "parameters without a docments comment (document them inline, one per line):\n" + \
        "\n".join(f"  {k}: {', '.join(v)}" for k, v in bare.items())


def test_import_cells_hold_only_imports():
    """A cell with an import is run by nbdev's docs step out of its notebook's order, without the cells before it, so it
    must hold imports only (a `try`/`except ImportError` around one counts): mixed with code it fails `make docs`."""
    import ast, json
    bad = []
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for i, c in enumerate(json.loads(nb.read_text())["cells"]):
            if c["cell_type"] != "code": continue
            src = "".join(c["source"])
            if re.match(r"\s*#\|\s*(export|exports|exporti)\b", src): continue
            tree = ast.parse("\n".join("" if l.startswith(("%", "!")) else l for l in src.splitlines()))
            if not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)): continue
            if not all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Try)) for n in tree.body):
                bad.append(f"{nb.name} cell {i}: {src.splitlines()[0][:60]}")
    assert not bad, "cells that mix imports with other code (move the imports into a cell of their own):\n  " + "\n  ".join(bad)
