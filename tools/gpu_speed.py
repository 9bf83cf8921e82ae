"""GPU against CPU, uncontended: one process on a GPU machine times MIRACLE, MIRI and GAIN on wine and on a d = 12 SCM table,
on cuda and on the CPU (all its cores); then, if less than a minute has passed, MIRI's `reference` preset on the toy mask that
diverged in the full run (bench/gpu/README.md). Run from the repository root: `python tools/gpu_speed.py`.
"""
import time, numpy as np, torch
from causalimpute import make_imputer
from causalimpute.datasets import load_dataset
from causalimpute.missingness import ampute
from causalimpute.metrics import rmse
from causalimpute.scm import sample_dag, simulate_scm, simulate_mgraph_missingness, gaussian_mixture_toy
T0 = time.time()
print(torch.cuda.get_device_name(0), "torch threads", torch.get_num_threads(), flush=True)
W, _ = load_dataset("wine"); W = W.to_numpy(np.float64); Wm, wmask = ampute(W, "MCAR", 0.3, seed=0)
A = sample_dag(12, seed=0); S = simulate_scm(A, 1000, kind="nonlinear", seed=0); Sm, smask, _ = simulate_mgraph_missingness(S, A, "MAR", rate=0.3, seed=0)
make_imputer("miracle", epochs=2, device="cuda", verbose=False, seed=0).fit_transform(Wm)   # CUDA context, kernels
for name, X, Xm, mask in [("wine", W, Wm, wmask), ("scm n=1000 d=12 MAR", S, Sm, smask)]:
    for meth in ("miracle", "miri", "gain"):
        for dev in ("cuda", "cpu"):
            est = make_imputer(meth, device=dev, verbose=False, seed=0)
            t = time.perf_counter(); Xh = est.fit_transform(Xm); s = time.perf_counter() - t
            print(f"{name} | {meth} | {dev} | {s:.1f} s | RMSE {rmse(X, Xh, mask, standardise=True):.3f}", flush=True)
print(f"elapsed {time.time() - T0:.0f} s", flush=True)
T, labels = gaussian_mixture_toy(6000, seed=0); Tm, tmask = ampute(T, "MCAR", 0.3, seed=1)
for kw in (dict(clip=1.0), {}):
    if time.time() - T0 > 60: print("toy: no time left"); break
    t = time.perf_counter()
    try:
        Th = make_imputer("miri", preset="reference", n_rounds=10, seed=1, device="cuda", verbose=False, **kw).fit_transform(Tm)
        print(f"toy mask 1, reference {kw}: {time.perf_counter() - t:.0f} s, RMSE {rmse(T, Th, tmask, standardise=True):.3f}", flush=True)
    except FloatingPointError as e: print(f"toy mask 1, reference {kw}: diverged after {time.perf_counter() - t:.0f} s: {e}"[:200], flush=True)
