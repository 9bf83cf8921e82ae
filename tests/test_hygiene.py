"The notebooks are the source: they must be clean (`nbdev_clean`) and the package in sync (`nbdev_export`)."
import filecmp, shutil, subprocess, sys
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
