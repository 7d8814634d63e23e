"""Settings, built once and passed down.

Layers, later wins: shipped defaults, a TOML file (`--config`, or `rasid.toml` in the working
directory), environment variables `RASID_<FIELD>` (upper case), then command-line flags.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = "rasid.db"
    # ingest
    max_bytes: int = 20 * 1024 * 1024
    max_line_bytes: int = 5 * 1024 * 1024
    allow_private: bool = False
    http_timeout: float = 20.0
    http_max_redirects: int = 5
    user_agent: str = "rasid/0.1 (+https://example.invalid/rasid)"
    workers: int = 0  # processes for the text half; 0 = one per core
    engine: str = "local"  # "local" (this machine's processes) or "dask" (a Dask cluster)
    scheduler: str = ""  # engine "dask": address of a running scheduler; "" = a LocalCluster of `workers`
    # http(s)_proxy / no_proxy from the environment are honoured for fetches (the proxy then
    # resolves names; our address checks still run on what this machine resolves)
    proxy_from_env: bool = True
    # a JSON file of outlets (format of rasid/data/outlets.json) added to the shipped registry
    outlets_file: str = ""
    # watch: seconds between polls of one input when --every is not given, and the longest back-off
    watch_every: float = 600.0
    watch_max_backoff: float = 3600.0
    # watch: a feed item whose summary is shorter than this (and carries no full content) has its
    # page fetched for the article text
    watch_summary_chars: int = 1000
    # stories
    # a paragraph most of whose LSH bands are shared by more than this many live paragraphs is
    # boilerplate (agency datelines) and is not reported as shared; 0 = off. 64 suits the 14
    # outlets of SaudiNewsNet: raise it with many more outlets, where one wire paragraph is copied
    # more often (docs/benchmarks/dedup_scale.md)
    dedup_stop_bucket: int = 64
    story_dormant_days: float = 3.0
    # a story older than this many days with at least story_late_min_size articles is joined only
    # at probability story_late_threshold (see StoryClusterer._join_threshold), and a join must also
    # be close to its first reports (StoryClusterer._core_ok)
    story_late_after_days: float = 3.0
    story_late_threshold: float = 0.9
    story_late_min_size: int = 8
    # whether such a late story can merge with another story (see StoryClusterer._maybe_merge)
    story_late_merges: bool = False
    # two stories are shown as related when the merge model gave them at least this probability of
    # being one happening (without merging them); 1.0 = no related stories
    story_related_min: float = 0.2
    # a folder of story scorers fitted on one's own labels (story_model.json and, optionally,
    # story_merge.json, story_model_xling.json, story_merge_xling.json); "" = the shipped ones.
    # Read when a store starts its story state: a store keeps the scorers it started with.
    story_models: str = ""
    embedder: str = "use"
    # output
    quiet: bool = False
    json_log: bool = False
    progress: bool = True
    strict: bool = False


_TYPE_NAMES = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "a string"}


def _coerce(value: str, to: Any, where: str) -> Any:
    """An environment variable's text as the field's type; ValueError naming `where` if it is not one."""
    kind = getattr(to, "__name__", to)
    text = value.strip().lower()
    if kind == "bool":
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
    elif kind == "int":
        try:
            return int(value)
        except ValueError:
            pass
    elif kind == "float":
        try:
            return float(value)
        except ValueError:
            pass
    else:
        return value
    raise ValueError(f"{where}: must be {_TYPE_NAMES[kind]}, got {value!r}")


def _check_type(name: str, value: Any, to: Any, where: str) -> Any:
    """A settings-file value, checked against the field's type (an int is fine for a float)."""
    kind = getattr(to, "__name__", to)
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "str": isinstance(value, str),
    }.get(kind, True)
    if not ok:
        raise ValueError(f"{where}: setting {name!r} must be {_TYPE_NAMES[kind]}, got {value!r}")
    return float(value) if kind == "float" else value


def load_settings(
    config: str | Path | None = None, env: dict[str, str] | None = None, **flags: Any
) -> Settings:
    """Build the one Settings object from defaults, file, environment and flags (None flags ignored)."""
    values: dict[str, Any] = {}
    names = {f.name: f.type for f in fields(Settings)}
    path = Path(config) if config else Path("rasid.toml")
    if path.is_file():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not a valid TOML settings file: {exc}") from exc
        except OSError as exc:
            raise ValueError(f"{path}: cannot read settings file: {exc.strerror}") from exc
        unknown = set(data) - set(names)
        if unknown:
            raise ValueError(f"{path}: unknown settings {sorted(unknown)}")
        values.update({k: _check_type(k, v, names[k], str(path)) for k, v in data.items()})
    elif config:
        raise FileNotFoundError(f"{path}: config file not found")
    environ = os.environ if env is None else env
    for name, typ in names.items():
        key = f"RASID_{name.upper()}"
        if key in environ:
            values[name] = _coerce(environ[key], typ, key)
    values.update({k: v for k, v in flags.items() if v is not None and k in names})
    return dataclasses.replace(Settings(), **values)
