"causalimpute: missing-data imputation that keeps causal structure and distribution (MIRACLE, MIRI)."
__version__ = "0.1.0"
# The one hand-written file of the package (nbdev keeps its version line in sync with settings.ini).
# Public names resolve lazily, so `import causalimpute` stays fast and imports no torch. The registry lives in `core`, which names no
# module above it; the modules that define the built-in imputers register them when imported, and they are imported here, the first
# time a name that needs the registry is used.

_PUBLIC = {
    "Imputer": "core", "make_imputer": "core", "available_imputers": "core", "register_imputer": "core",
    "check_imputer": "core", "observed_mask": "core",
    "ampute": "missingness",
    "pool": "multiple_imputation", "pool_wald": "multiple_imputation", "pool_chi2": "multiple_imputation",
    "analyse": "multiple_imputation", "traces": "multiple_imputation",
    "plot_traces": "multiple_imputation", "plot_densities": "multiple_imputation", "plot_coverage": "multiple_imputation",
    "coverage": "multiple_imputation",
    "MIRACLE": "miracle",
    "MIRI": "miri",
}
_BUILTIN_IMPUTERS = ("baselines", "miracle", "miri")        # the modules whose imputers `make_imputer` knows by name
_NEED_REGISTRY = {"make_imputer", "available_imputers"}

def __getattr__(name):
    if name in _PUBLIC:
        import importlib
        if name in _NEED_REGISTRY:
            for mod in _BUILTIN_IMPUTERS: importlib.import_module(f"{__name__}.{mod}")
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def __dir__(): return sorted(list(globals()) + list(_PUBLIC))
