"The hand-written `causalimpute/__init__.py`: every public name resolves, the import stays light, the registry knows every built-in."
import subprocess, sys
import pytest
import causalimpute


@pytest.mark.parametrize("name", sorted(causalimpute._PUBLIC))
def test_public_name_resolves(name):
    obj = getattr(causalimpute, name)
    mod = __import__(f"causalimpute.{causalimpute._PUBLIC[name]}", fromlist=[name])
    assert obj is getattr(mod, name)
    assert name in dir(causalimpute)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"): causalimpute.nope


def _fresh(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_import_is_light():
    "`import causalimpute` imports neither torch nor any submodule (names resolve on first use)."
    out = _fresh("import sys, causalimpute; print('torch' in sys.modules, sorted(m for m in sys.modules if m.startswith('causalimpute.')))")
    assert out == "False []", out


def test_make_imputer_knows_every_builtin():
    "Through the package, the registry holds every built-in imputer, without importing anything by hand first."
    out = _fresh("import causalimpute; print(','.join(causalimpute.available_imputers()))")
    assert out.split(",") == ["auto", "gain", "knn", "mean", "median", "mice", "miracle", "miri", "missforest", "ot"], out
    out = _fresh("from causalimpute import make_imputer; print(type(make_imputer('miri')).__name__)")
    assert out == "MIRI"


def test_core_names_nothing_above_it():
    "The bottom layer imports no module of the package but itself (the registry is filled by the modules that define imputers)."
    import ast, pathlib
    tree = ast.parse(pathlib.Path(causalimpute.__file__).with_name("core.py").read_text())
    mods = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + \
           [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in mods if m.startswith("causalimpute") or m.startswith(".")], mods
    assert "causalimpute." not in pathlib.Path(causalimpute.__file__).with_name("core.py").read_text().replace("causalimpute.core", "")
