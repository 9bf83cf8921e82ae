"The `causalimpute` command line on a small CSV: round trip, skipped columns, a bad column, the input never touched, exit codes."
import csv, io, os, shutil, subprocess, sys, contextlib
from pathlib import Path
import numpy as np, pandas as pd
import pytest

CSV = ("id,name,age,score,weight\n"
       "1,ann,34,0.10,61.5\n"
       "2,bob,NA,0.25,70\n"
       "3,,51,,82.25\n"
       "4,dan,28,0.40,\n"
       "5,eve,45,0.31,58\n"
       "6,fay,39,NaN,66.0\n"
       "7,gus,62,0.18,90.5\n")
FEATURES = ["age", "score", "weight"]


def _script():
    "The installed console script, or the same entry point through the interpreter."
    exe = Path(sys.executable).parent / "causalimpute"
    if exe.exists(): return [str(exe)]
    return [sys.executable, "-c", "import sys; from causalimpute.cli import main; sys.exit(main())"]


def _cli(*args, cwd=None):
    "Run the console script in a subprocess; return the completed process."
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    return subprocess.run(_script() + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def _main(*args):
    "Run `causalimpute.cli.main` in this process; return (exit code, stdout, stderr)."
    from causalimpute.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: code = main([str(a) for a in args])
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()


def _cells(path):
    "Every cell of a CSV file as text."
    with open(path, newline="") as f: return list(csv.reader(f))


@pytest.fixture
def src(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text(CSV)
    return p


def test_round_trip_console_script(src, tmp_path):
    out = tmp_path / "out.csv"
    mtime = src.stat().st_mtime_ns
    res = _cli("impute", src, "-o", out, "--method", "mean", "--skip", "id,name")
    assert res.returncode == 0, res.stderr
    assert "imputed 4 missing cell(s)" in res.stderr, res.stderr
    assert src.read_text() == CSV and src.stat().st_mtime_ns == mtime          # IN untouched
    before, after = _cells(src), _cells(out)
    assert after[0] == before[0]                                                # same header, same order
    assert len(after) == len(before)
    X = pd.read_csv(src)
    for i, (b, a) in enumerate(zip(before[1:], after[1:])):
        for j, col in enumerate(before[0]):
            if col in ("id", "name") or not pd.isna(X.loc[i, col]):
                assert a[j] == b[j], f"row {i} column {col}: {b[j]!r} became {a[j]!r}"   # observed and skipped cells verbatim
    Y = pd.read_csv(out)
    assert not Y[FEATURES].isna().any().any()
    np.testing.assert_allclose(Y.loc[X.age.isna(), "age"], X.age.mean())       # mean imputation, original units
    np.testing.assert_allclose(Y.loc[X.score.isna(), "score"], X.score.mean())
    assert Y.name.isna().sum() == 1                                             # a skipped column keeps its hole


@pytest.mark.parametrize("method", ["median", "knn"])
def test_round_trip_in_process(src, tmp_path, method):
    from causalimpute import available_imputers
    if method not in available_imputers(): pytest.skip(f"{method} is not registered in this installation")
    out = tmp_path / "out.csv"
    code, _, err = _main("impute", src, "-o", out, "--method", method, "--skip", "name,id", "-q")
    assert code == 0, err
    X, Y = pd.read_csv(src), pd.read_csv(out)
    assert not Y[FEATURES].isna().any().any()
    obs = X[FEATURES].notna().to_numpy()
    assert np.array_equal(X[FEATURES].to_numpy()[obs], Y[FEATURES].to_numpy()[obs])
    pd.testing.assert_frame_equal(X[["id", "name"]], Y[["id", "name"]])
    assert src.read_text() == CSV


def test_bad_column_named(src, tmp_path):
    out = tmp_path / "out.csv"
    # free text (mostly distinct values) is refused, naming the column and the way on
    text = tmp_path / "notes.csv"
    text.write_text("x,note\n" + "".join(f"{i % 7 if i % 5 else ''},visit number {i}\n" for i in range(60)))
    res = _cli("impute", text, "-o", out, "--method", "mean")
    assert res.returncode == 1
    assert "column 'note' of X looks like free text" in res.stderr and "--skip" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not out.exists()
    # one stray text marker makes a numeric column text: it is named, not silently read as categories
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace("0.25", "n.a."))
    code, _, err = _main("impute", bad, "-o", out, "--method", "mean", "--skip", "id,name")
    assert code == 1 and "'score'" in err and "n.a." in err and "--categorical" in err, err
    assert src.read_text() == CSV


MIXED_CSV = "".join(["id,age,sex,smoker,stage,region,bmi\n"] +
                    [f"p{i},{30 + i % 40 if i % 9 else ''},{'MF'[i % 2] if i % 7 else ''},{['yes', 'no'][i % 3 == 0] if i % 11 else ''},"
                     f"{['I', 'II', 'III'][i % 3] if i % 8 else ''},{1 + i % 4 if i % 6 else ''},{20 + (i % 13) / 2 if i % 10 else 'NA'}\n"
                     for i in range(80)])


def test_mixed_round_trip(tmp_path):
    "Categories, yes/no text, an integer code declared categorical, an id skipped: every hole filled with an observed level, as spelt in the file."
    src, out = tmp_path / "mixed.csv", tmp_path / "out.csv"
    src.write_text(MIXED_CSV)
    res = _cli("impute", src, "-o", out, "--method", "missforest", "--skip", "id", "--categorical", "region")
    assert res.returncode == 0, res.stderr
    before, after = _cells(src), _cells(out)
    assert before[0] == after[0] and len(before) == len(after) and src.read_text() == MIXED_CSV
    holes = 0
    for b, a in zip(before[1:], after[1:]):
        for c, (x, y) in enumerate(zip(b, a)):
            if x not in ("", "NA"): assert x == y                                  # observed cells verbatim
            elif c > 0:
                holes += 1
                col = before[0][c]
                allowed = {"sex": {"M", "F"}, "smoker": {"yes", "no"}, "stage": {"I", "II", "III"}, "region": {"1", "2", "3", "4"}}
                if col in allowed: assert y in allowed[col], (col, y)             # an observed level, written as the file writes it
                else: float(y)                                                     # a number
    assert f"imputed {holes} missing cell(s)" in res.stderr, res.stderr
    assert before[0].index("id") == 0 and all(b[0] == a[0] for b, a in zip(before, after))   # the skipped id, untouched


def test_never_overwrites_input(src, tmp_path):
    for target in [src, tmp_path / "." / "in.csv"]:
        code, _, err = _main("impute", src, "-o", target, "--method", "mean", "--skip", "id,name")
        assert code == 1 and "never overwrites its input" in err, err
    link = tmp_path / "link.csv"
    link.symlink_to(src)
    code, _, err = _main("impute", src, "-o", link, "--method", "mean", "--skip", "id,name", "--force")
    assert code == 1 and "never overwrites its input" in err, err
    assert src.read_text() == CSV


def test_existing_output_needs_force(src, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    code, _, err = _main("impute", src, "-o", out, "--method", "mean", "--skip", "id,name")
    assert code == 1 and "--force" in err and out.read_text() == "keep me\n"
    code, _, err = _main("impute", src, "-o", out, "--method", "mean", "--skip", "id,name", "--force", "-q")
    assert code == 0, err
    assert not pd.read_csv(out)[FEATURES].isna().any().any()


def test_exit_codes(src, tmp_path):
    out = tmp_path / "out.csv"
    assert _main("impute", src)[0] == 2                                              # usage: no -o
    assert _main("frobnicate")[0] == 2                                               # usage: no such command
    code, _, err = _main("impute", tmp_path / "missing.csv", "-o", out)
    assert code == 1 and "does not exist" in err
    code, _, err = _main("impute", src, "-o", out, "--method", "no_such", "--skip", "id,name")
    assert code == 1 and "unknown imputer 'no_such'" in err
    code, _, err = _main("impute", src, "-o", out, "--method", "mean", "--skip", "id,town")
    assert code == 1 and "'town'" in err
    code, _, err = _main("impute", src, "-o", out, "--method", "mean", "--baseline", "mice", "--skip", "id,name")
    assert code == 1 and "--baseline" in err
    assert not out.exists() and src.read_text() == CSV


def test_list():
    code, out, _ = _main("list")
    assert code == 0 and "mean" in out and "diabetes" in out


def test_fit_once_impute_in_chunks(tmp_path):
    "fit -> save -> impute in chunks on a CSV larger than one chunk, through the console script: rows in order, observed cells verbatim."
    rng = np.random.default_rng(0)
    rows = [f"{i},{'' if i % 7 == 0 else round(rng.normal(), 4)},{'' if i % 5 == 0 else ['a', 'b', 'c'][i % 3]},{round(rng.normal(), 4)}"
            for i in range(250)]
    text = "id,x,g,y\n" + "\n".join(rows) + "\n"
    src, model, out = tmp_path / "big.csv", tmp_path / "model.pkl", tmp_path / "out.csv"
    src.write_text(text)
    res = _cli("fit", src, "-o", model, "--method", "missforest", "--skip", "id", "--fit-rows", 120)
    assert res.returncode == 0 and "fitted missforest on 120 rows x 3 feature columns" in res.stderr, res.stderr
    res = _cli("impute", src, "-o", out, "--model", model, "--chunksize", 40)
    assert res.returncode == 0 and "in 250 rows" in res.stderr, res.stderr
    before, after = _cells(src), _cells(out)
    assert len(after) == 251 and [r[0] for r in after] == [r[0] for r in before]          # every row, in order
    for b, a in zip(before[1:], after[1:]):
        for x, y in zip(b, a):
            if x != "": assert x == y
            else: assert y != ""
    assert {r[2] for r in after[1:]} <= {"a", "b", "c"}
    res = _cli("impute", src, "-o", tmp_path / "o2.csv", "--model", src)
    assert res.returncode == 1 and "is not a causalimpute model file" in res.stderr and "Traceback" not in res.stderr
