"""Scale benchmark (issue 9): MIRACLE and MIRI on letter (20,000 x 16, 30% MCAR) at n = 5,000 / 10,000 / 20,000 rows.

Each (method, n) runs in a fresh interpreter, so its peak resident memory (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) is its own.
Printed per run: wall seconds of `fit_transform`, the resident memory before fitting (interpreter, torch, the data, and a warm-up fit on
64 rows so that imports and first calls are not counted), the peak during the fit, their difference (what fitting added; ru_maxrss
sees torch's allocator too, which tracemalloc would not), the size of the data, and the RMSE on the hidden entries in units of each
column's standard deviation, and the training epochs run (len(history_)) with seconds per epoch. Then, sampled from /proc/self/statm
every millisecond: how far resident memory rose above its level at the start of `fit_transform` ("fit +MB") and of a `transform` of
the whole table afterwards ("transform +MB", the inference path alone). If memory is bounded by the data and one batch, the added memory grows with n no faster than a few copies
of the n x 16 table (0.61 MB per float64 copy per 5,000 rows).

    .venv/bin/python tools/bench_scale.py                    # both methods, default settings, n = 5000 10000 20000
    .venv/bin/python tools/bench_scale.py --methods miri --sizes 5000 20000 --set miri.n_rounds=2
Not exported, not part of the package; run by hand or from `make bench`.
"""
import argparse, json, os, subprocess, sys, time

CHILD = r"""
import json, os, resource, sys, threading, time, warnings
warnings.simplefilter("ignore")
import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * PAGE / 2**20

class PeakRSS:
    "Highest resident memory (MB) seen by sampling /proc/self/statm every millisecond inside the block (torch ops release the GIL)."
    def __enter__(self):
        self.start = self.peak = rss(); self._stop = threading.Event()
        def poll():
            while not self._stop.wait(0.001): self.peak = max(self.peak, rss())
        self._t = threading.Thread(target=poll, daemon=True); self._t.start(); return self
    def __exit__(self, *a):
        self._stop.set(); self._t.join(); self.peak = max(self.peak, rss())
from causalimpute import make_imputer, available_imputers
from causalimpute.missingness import ampute
method, n, extra, source = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
if source == "letter":
    from causalimpute.datasets import load_dataset
    X = load_dataset("letter")[0].to_numpy(dtype=np.float64)
else:                                                   # simulated stand-in of the same shape
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 16)) @ rng.normal(size=(16, 16))
X = X[np.random.default_rng(0).permutation(len(X))[:n]]
X_miss, mask = ampute(X, "MCAR", rate=0.3, seed=0)
available_imputers()                                   # import every imputer module now, not inside the timed fit
make_imputer(method, seed=0, device="cpu", verbose=False, **extra).fit_transform(X_miss[:64])   # warm-up: first torch/sklearn calls
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
imp = make_imputer(method, seed=0, device="cpu", verbose=False, **extra)
with PeakRSS() as pf:
    t0 = time.perf_counter()
    out = imp.fit_transform(X_miss)
    secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with PeakRSS() as pt:
    t0 = time.perf_counter(); imp.transform(X_miss); tsecs = time.perf_counter() - t0
assert not np.isnan(out).any()
rmse = float(np.sqrt(np.mean(((out - X) / X.std(0))[~mask] ** 2)))
print("RESULT" + json.dumps(dict(method=method, n=n, seconds=secs, rss_before_mb=before / 1024, rss_peak_mb=peak / 1024,
                                 added_mb=(peak - before) / 1024, data_mb=X.nbytes / 2**20,
                                 fit_added_mb=pf.peak - pf.start, transform_added_mb=pt.peak - pt.start, transform_seconds=tsecs,
                                 missing=float(1 - mask.mean()), rmse_std=rmse, epochs=len(getattr(imp, "history_", [])), threads=int(os.environ.get("OMP_NUM_THREADS", 0) or 0))))
"""


def _value(v):
    try: return json.loads(v)
    except json.JSONDecodeError: return v


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", nargs="+", default=["miracle", "miri"])
    p.add_argument("--sizes", nargs="+", type=int, default=[5000, 10000, 20000])
    p.add_argument("--set", nargs="*", default=[], metavar="[METHOD.]KEY=VALUE",
                   help="constructor arguments, e.g. miracle.epochs=10 miri.n_rounds=2 (without METHOD.: every method)")
    p.add_argument("--source", choices=["letter", "simulated"], default=None, help="default: letter when loadable, else simulated")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    a = p.parse_args(argv)
    extra = {k: _value(v) for k, v in (s.split("=", 1) for s in a.set)}
    source = a.source
    if source is None:
        try:
            from causalimpute.datasets import load_dataset
            load_dataset("letter"); source = "letter"
        except Exception as e:                        # the dataset's optional package missing, or no network
            print(f"letter not loadable ({type(e).__name__}: {e}); using simulated data of the same shape", file=sys.stderr)
            source = "simulated"
    # glibc: allocations above 128 KiB go straight to mmap and are unmapped when freed, so resident memory tracks live memory
    # (with the default dynamic threshold, freed tensors linger in the heap and the readings depend on the allocation history)
    env = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072", **os.environ,
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    rows = []
    print(f"data: {source}, 30% MCAR; settings: defaults{' + ' + json.dumps(extra) if extra else ''}; "
          f"OMP_NUM_THREADS={env['OMP_NUM_THREADS']}", flush=True)
    print(f"{'method':8} {'n':>6} {'seconds':>8} {'RSS before MB':>13} {'RSS peak MB':>11} {'added MB':>9} {'data MB':>7} {'RMSE':>6} {'epochs':>6} {'s/epoch':>7} "
          f"{'fit +MB':>7} {'transform s':>11} {'transform +MB':>13}",
          flush=True)
    for m in a.methods:
        for n in a.sizes:
            t0 = time.time()
            kw = {k.split(".", 1)[-1]: v for k, v in extra.items() if "." not in k or k.split(".", 1)[0] == m}
            res = subprocess.run([sys.executable, "-c", CHILD, m, str(n), json.dumps(kw), source], capture_output=True, text=True,
                                 env=env, timeout=a.timeout)
            if res.returncode != 0:
                print(f"{m:8} {n:>6} FAILED after {time.time() - t0:.0f}s:\n{res.stderr[-2000:]}", flush=True); continue
            r = json.loads(next(l for l in res.stdout.splitlines() if l.startswith("RESULT"))[6:])
            rows.append(r)
            print(f"{m:8} {n:>6} {r['seconds']:>8.1f} {r['rss_before_mb']:>13.0f} {r['rss_peak_mb']:>11.0f} {r['added_mb']:>9.1f} "
                  f"{r['data_mb']:>7.2f} {r['rmse_std']:>6.3f} {r['epochs']:>6} {r['seconds'] / max(r['epochs'], 1):>7.2f} "
                  f"{r['fit_added_mb']:>7.1f} {r['transform_seconds']:>11.1f} {r['transform_added_mb']:>13.1f}", flush=True)
    return rows


if __name__ == "__main__":
    main()
