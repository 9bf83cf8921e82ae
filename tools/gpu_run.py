"""The experiment chapters (nbs/20-22) at their FULL settings on a GPU machine, inside a short lease; and the GPU path's own checks.

    python tools/gpu_run.py OUT --deadline 470 [--check] [--only 22_exp_images ...] [--sections MNIST ...]

`make experiments` runs the three chapters whole, one cell after another: at FULL settings that is hours, more than a GPU lease
here (15 minutes). This runs each chapter's `##` sections that hold slow cells in their own Jupyter kernel (after the chapter's
setup cells), all at once, so that every section starts on the GPU inside the lease. A cell's outputs are kept as soon as it
finishes; a cell still running at the deadline is interrupted, and what it printed so far is kept with a line that says so.
Every `fit` / `fit_transform` of an imputer (outermost call) is logged with its class, shape, device and seconds to
OUT/fits.jsonl, which sizes the full run; OUT/cells.jsonl has each cell's status and seconds; OUT/<chapter>.ipynb the merged
outputs (the committed notebooks are not touched). `--check` also runs `gpu_checks` (every method on the GPU, a model fitted on
the GPU used on a CPU, draws) into OUT/check.txt. Run with the repository root as the working directory.

Learned on its first run (an H200, 2026-12-04; bench/gpu/README.md): the tabular models (MIRACLE, MIRI's MLP, GAIN) are no faster on
the GPU than on 16 CPU threads, and seven processes sharing one GPU made each of their fits about 10x slower. Sections of tabular
grids gain from running at once only as far as the CPU cores go; the conv MIRI sections (chapter 22) are the ones the GPU speeds up.
"""
import argparse, json, os, signal, subprocess, sys, time
from pathlib import Path
from run_nb import flags   # tools/run_nb.py: the directive names at the top of a cell

CHAPTERS = ["20_exp_synthetic", "21_exp_real", "22_exp_images"]

# executed in each kernel before the chapter's cells, not saved: logs the outermost fit of every imputer
_PROBE = """
import json as _j, time as _t, functools as _f
from causalimpute import core as _c
def _probe(name, fn, path={path!r}, section={section!r}):
    @_f.wraps(fn)
    def wrapped(self, X, *a, **k):
        _c._probe_depth = getattr(_c, "_probe_depth", 0) + 1
        t0 = _t.perf_counter()
        try: return fn(self, X, *a, **k)
        finally:
            _c._probe_depth -= 1
            if _c._probe_depth == 0:
                with open(path, "a") as f:
                    f.write(_j.dumps(dict(section=section, method=type(self).__name__, call=name, shape=list(getattr(X, "shape", ())),
                                          device=str(getattr(self, "device_", getattr(self, "device", ""))),
                                          seconds=round(_t.perf_counter() - t0, 3), at=round(_t.time(), 1))) + "\\n")
    return wrapped
_c.Imputer.fit = _probe("fit", _c.Imputer.fit)
_c.Imputer.fit_transform = _probe("fit_transform", _c.Imputer.fit_transform)
"""


def sections(nb):
    "(setup cell ids, [(section title, [cell ids])]): setup = code cells before the first `##` section that holds a slow cell."
    groups, title = [], None
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.startswith("## "): title = c.source.splitlines()[0][3:]; groups.append((title, [])); continue
        if c.cell_type != "code" or "nbdev_export(" in c.source: continue
        if not groups: groups.append((None, []))
        groups[-1][1].append(c)
    setup, out, started = [], [], False
    for t, cells in groups:
        slow = any(flags(c.source) & {"slow", "gpu"} for c in cells)
        if slow: started = True; out.append((t, [c.id for c in cells]))
        elif not started: setup += [c.id for c in cells]
    return setup, out


def worker(chapter, k, out, deadline):
    "Run setup + section k of `chapter` in one kernel, saving the notebook (this worker's cells) after every cell."
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    path = Path("nbs") / f"{chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    setup, secs = sections(nb)
    title, ids = secs[k]
    run = set(setup) | set(ids)
    part = out / "parts" / f"{chapter}.{k}.ipynb"
    client = NotebookClient(nb, timeout=600, kernel_name="python3", interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    log = lambda **kw: open(out / "cells.jsonl", "a").write(json.dumps(dict(chapter=chapter, section=title, **kw)) + "\n")
    with client.setup_kernel():
        probe = nbformat.v4.new_code_cell(_PROBE.format(path=str((out / "fits.jsonl").resolve()), section=f"{chapter}: {title}"))
        client.execute_cell(probe, 0)
        for i, cell in enumerate(nb.cells):
            if cell.get("id") not in run: continue
            left = deadline - time.time()
            if left < 5: log(cell=cell.id, status="not started (deadline)"); break
            client.timeout = int(left)
            t0, status = time.time(), "ok"
            try: client.execute_cell(cell, i)
            except (CellTimeoutError, CellExecutionError):   # a timeout interrupts the kernel, which nbclient may report as an error
                status = "error"
                if time.time() > deadline - 3:
                    status = "interrupted at the deadline"
                    cell.outputs.append(nbformat.v4.new_output("stream", name="stderr",
                                        text=f"[gpu_run: interrupted at the deadline after {time.time() - t0:.0f} s]\n"))
            log(cell=cell.id, status=status, seconds=round(time.time() - t0, 1))
            nbformat.write(nb, part)
            if status != "ok": break
    nbformat.write(nb, part)


def merge(out):
    "OUT/<chapter>.ipynb: each cell's outputs from the worker that ran it (setup cells from section 0's)."
    import nbformat
    for ch in CHAPTERS:
        parts = sorted((out / "parts").glob(f"{ch}.*.ipynb"), key=lambda p: int(p.suffixes[0][1:]))
        if not parts: continue
        nb = nbformat.read(Path("nbs") / f"{ch}.ipynb", as_version=4)
        setup, secs = sections(nb)
        owner = {cid: 0 for cid in setup} | {cid: k for k, (_, ids) in enumerate(secs) for cid in ids}
        got = {int(p.suffixes[0][1:]): {c.get("id"): c for c in nbformat.read(p, as_version=4).cells} for p in parts}
        for c in nb.cells:
            if c.cell_type == "code" and c.get("id") in owner and owner[c.id] in got:
                src = got[owner[c.id]].get(c.id)
                c.outputs, c.execution_count = src.outputs, src.get("execution_count")
        nbformat.write(nb, out / f"{ch}.ipynb")


def gpu_checks(out):
    "Every method fitted on the GPU: no NaN, observed entries kept, time and RMSE against the same fit on the CPU; a GPU-fitted model pickled and used on a CPU; draws."
    import pickle, numpy as np, pandas as pd, torch
    from causalimpute import make_imputer
    from causalimpute.datasets import load_dataset
    from causalimpute.missingness import ampute
    from causalimpute.metrics import rmse
    from causalimpute.scm import sample_dag, simulate_mixed_scm
    lines = []
    say = lambda s: (lines.append(s), print(s, flush=True), (out / "check.txt").write_text("\n".join(lines) + "\n"))
    gpu = os.environ.get("GPU_RUN_DEVICE", "cuda")   # another value only to try this function out on a machine without a GPU
    say(f"torch {torch.__version__}, {torch.cuda.get_device_name(0) if gpu == 'cuda' else gpu}, {os.cpu_count()} CPU cores")
    X, _ = load_dataset("wine"); X = X.to_numpy(np.float64)
    Xm, mask = ampute(X, "MCAR", 0.3, seed=0)
    # (name, options, also on the CPU for comparison); the reference preset is too long for the CPU here
    runs = [("gain", dict(n_iter=1000), True), ("ot", {}, True), ("miracle", {}, True), ("miracle", dict(baseline="auto"), True),
            ("miri", {}, True), ("miri", dict(preset="reference", n_rounds=2), False)]
    say("method | options | device | seconds | RMSE | RMSE on CPU | observed kept | NaN")
    fitted = {}
    for name, kw, cpu in runs:
        res = {"cpu": (float("nan"),) * 2 + ("not run", -1)}
        for dev in (gpu, "cpu") if cpu else (gpu,):
            try:
                est = make_imputer(name, seed=0, device=dev, verbose=False, **kw)
                t0 = time.perf_counter(); Xh = est.fit_transform(Xm); s = time.perf_counter() - t0
                res[dev] = (s, rmse(X, Xh, mask, standardise=True), bool(np.array_equal(Xh[mask], Xm[mask])), int(np.isnan(Xh).sum()))
                if dev == gpu: fitted[(name, str(kw))] = est
            except Exception as e: res[dev] = (float("nan"), float("nan"), f"{type(e).__name__}: {e}"[:300], -1)
        g, c = res[gpu], res["cpu"]
        say(f"{name} | {kw} | {getattr(fitted.get((name, str(kw))), 'device_', '?')} | {g[0]:.1f} (CPU {c[0]:.1f}) | {g[1]:.3f} | {c[1]:.3f} | {g[2]} | {g[3]}")
    # a model fitted on the GPU, pickled, then used where no GPU is seen
    for key in [k for k in fitted if k[1] == next(str(kw) for n, kw, _ in runs if n == k[0])]:
        est = fitted.get(key)
        if est is None: continue
        blob = out / "model.pkl"; blob.write_bytes(pickle.dumps(est))
        code = ("import pickle, numpy as np, torch; from causalimpute.datasets import load_dataset; from causalimpute.missingness import ampute\n"
                f"m = pickle.loads(open({str(blob)!r}, 'rb').read()); X, _ = load_dataset('wine'); Xm, mask = ampute(X.to_numpy(np.float64), 'MCAR', 0.3, seed=1)  # mask: True = observed\n"
                "Xh = m.transform(Xm); print('cuda seen:', torch.cuda.is_available(), '| device_:', m.device_, '| NaN:', int(np.isnan(Xh).sum()), '| observed kept:', bool(np.array_equal(Xh[mask], Xm[mask])))")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"CUDA_VISIBLE_DEVICES": ""}, timeout=120)
        say(f"{key[0]} fitted on cuda, pickled, transform on CPU: " + (r.stdout.strip() or r.stderr.strip()[-400:]))
        blob.unlink()
    # draws on the GPU: reproducible, differing on the holes only; another stream differs
    for key in [k for k in fitted if k[1] == next(str(kw) for n, kw, _ in runs if n == k[0])]:
        est = fitted.get(key)
        if est is None: continue
        try:
            d1, d2 = est.sample(Xm, 3), est.sample(Xm, 3)
            same = all(np.array_equal(a, b) for a, b in zip(d1, d2))
            obs = all(np.array_equal(a[mask], Xm[mask]) for a in d1)
            differ = float(np.mean(d1[0][~mask] != d1[1][~mask]))
            other = float(np.mean(est.with_stream(1).transform(Xm)[~mask] != est.transform(Xm)[~mask]))
            say(f"{key[0]} sample on cuda: reproducible {same}, observed kept {obs}, share of holes two draws differ {differ:.2f}, stream 1 vs 0 differ {other:.2f}")
        except Exception as e: say(f"{key[0]} sample on cuda: {type(e).__name__}: {e}"[:400])
    # a mixed table on the GPU (a categorical node of 3 levels, a yes/no node), 30% of every column missing at random
    try:
        T = simulate_mixed_scm(sample_dag(5, seed=0), 600, {1: 3, 3: 2}, seed=0)
        rng = np.random.default_rng(0)
        Tm = T.mask(pd.DataFrame(rng.random(T.shape) < 0.3, columns=T.columns))
        for name in ("miracle", "miri"):
            t0 = time.perf_counter(); Th = make_imputer(name, seed=0, device=gpu, verbose=False).fit_transform(Tm)
            ok = bool(Th.notna().all().all()) and all(str(Th[c].dtype) == str(Tm[c].dtype) for c in Th.columns)
            kept = all(Th[c][Tm[c].notna()].astype(str).equals(Tm[c][Tm[c].notna()].astype(str)) for c in Th.columns)
            say(f"{name} on a mixed table {T.shape} ({', '.join(sorted(set(map(str, T.dtypes))))}) on cuda: {time.perf_counter() - t0:.1f} s, "
                f"complete and same dtypes {ok}, observed kept {kept}")
    except Exception as e: say(f"mixed table on cuda: {type(e).__name__}: {e}"[:400])

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--deadline", type=float, default=470, help="seconds from now after which running cells are interrupted")
    ap.add_argument("--check", action="store_true", help="also run gpu_checks (OUT/check.txt)")
    ap.add_argument("--only", nargs="*", default=CHAPTERS, help="the chapters to run (default: all three)")
    ap.add_argument("--sections", nargs="*", default=None, help="run only the sections whose title holds one of these words (e.g. MNIST)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        ch, k, dl = a.worker
        return gpu_checks(a.out) if ch == "checks" else worker(ch, int(k), a.out, float(dl))
    import nbformat
    a.out.mkdir(parents=True, exist_ok=True); (a.out / "parts").mkdir(exist_ok=True)
    deadline = time.time() + a.deadline
    jobs = [(ch, k, t) for ch in a.only for k, (t, _) in enumerate(sections(nbformat.read(Path("nbs") / f"{ch}.ipynb", as_version=4))[1])
            if a.sections is None or any(w.lower() in t.lower() for w in a.sections)]
    threads = str(max(1, (os.cpu_count() or 2) // (len(jobs) + a.check)))
    env = os.environ | {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "PYTHONUNBUFFERED": "1"}
    env.pop("MPLBACKEND", None)   # the kernels' inline backend keeps the figures as outputs
    procs = [subprocess.Popen([sys.executable, __file__, str(a.out), "--worker", ch, str(k), str(deadline)], env=env, start_new_session=True)
             for ch, k, _ in jobs]
    print(f"gpu_run: {len(jobs)} sections at once, {threads} CPU threads each: " + "; ".join(f"{ch} / {t}" for ch, _, t in jobs), flush=True)
    if a.check: procs.append(subprocess.Popen([sys.executable, __file__, str(a.out), "--worker", "checks", "0", "0"], env=env, start_new_session=True))
    while any(p.poll() is None for p in procs) and time.time() < deadline + 40:
        time.sleep(10); merge(a.out)
    for p in procs:
        if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
    merge(a.out)
    for p in (a.out / "parts").glob("*"): p.unlink()
    (a.out / "parts").rmdir()
    print(open(a.out / "cells.jsonl").read() if (a.out / "cells.jsonl").exists() else "no cells ran", flush=True)


if __name__ == "__main__":
    main()
