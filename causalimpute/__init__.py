"causalimpute: missing-data imputation that keeps causal structure and distribution (MIRACLE, MIRI)."
__version__ = "0.1.0"
# The one hand-written file of the package (nbdev keeps its version line in sync with settings.ini).
# The public names are resolved lazily, so `import causalimpute` stays fast and imports no torch.

_PUBLIC = {
    "Imputer": "core", "make_imputer": "core", "available_imputers": "core", "register_imputer": "core",
    "check_imputer": "core", "observed_mask": "core",
    "ampute": "missingness",
    "MIRACLE": "miracle",
    "MIRI": "miri",
}

def __getattr__(name):
    if name in _PUBLIC:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def __dir__(): return sorted(list(globals()) + list(_PUBLIC))
