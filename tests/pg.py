"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder.

The server listens on 127.0.0.1 only, on a free port, with no Unix socket, and is stopped (its
folder removed) when the session ends. PostgreSQL refuses to run as root, so as root the cluster
runs as the `postgres` system user (which Debian's package creates) through `runuser`.

Tests that need it use the `pg_url` fixture (a fresh, empty database per test) or `pg_cluster`
(the server). They are skipped, with the reason, only when the PostgreSQL binaries or psycopg are
missing; scripts/setup.sh installs both, so CI never skips them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_BIN_DIRS = ("/usr/lib/postgresql",)  # Debian keeps initdb and pg_ctl out of PATH, per version


def pg_bin(name: str) -> str | None:
    """The path of a PostgreSQL server program (`initdb`, `pg_ctl`), or None."""
    found = shutil.which(name)
    if found:
        return found
    for root in _BIN_DIRS:
        versions = sorted(Path(root).glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
        for bindir in versions:
            if (bindir / name).is_file():
                return str(bindir / name)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class PgCluster:
    """A running throwaway server: `url(dbname)` is a libpq URL for one of its databases."""

    folder: Path
    port: int
    user: str
    prefix: list[str]  # command prefix running as the cluster's owner ([] when not root)
    pg_ctl: str

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> PgCluster:
    """initdb and start a server in a new temporary folder (raises RuntimeError when it cannot)."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise FileNotFoundError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; "
            "install Debian's postgresql package (scripts/setup.sh does)"
        )
    folder = Path(tempfile.mkdtemp(prefix="rasid-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # postgres refuses root: the cluster belongs to the postgres user
        shutil.chown(folder, user="postgres", group="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "server.log"
    user = "rasid"
    done = subprocess.run(
        [
            *prefix,
            initdb,
            "-D",
            str(data),
            "-U",
            user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
    port = _free_port()
    # 127.0.0.1 only, no Unix socket; durability off (a throwaway cluster), room for many writers.
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        "-c shared_buffers=64MB"
    )
    done = subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    cluster = PgCluster(folder, port, user, prefix, pg_ctl)
    if done.returncode:
        tail = log.read_text(errors="replace")[-800:] if log.exists() else done.stderr
        cluster.stop()
        raise RuntimeError(f"pg_ctl start failed: {tail.strip()}")
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]'; scripts/setup.sh does)")
    try:
        cluster = start_cluster()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def pg_url(pg_cluster: PgCluster) -> str:
    """The URL of a fresh, empty database on the throwaway cluster."""
    return pg_cluster.create_database()


@contextlib.contextmanager
def cluster_for_script() -> Iterator[PgCluster]:
    """The same throwaway server for bench scripts (stopped on exit)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
