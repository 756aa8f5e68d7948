"""Benchmark plumbing: a migrated database with demo data, gunicorn on a loopback port, and wrk as the load
generator. Figures are only compared as ratios within one run (PERFORMANCE.md)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class LoadResult:
    """What wrk (or another load generator) measured for one endpoint. ``p95_ms`` is set by the benchmarks that
    measure it (wrk does not report it); ``output`` keeps what wrk printed (a script's ``done`` lines)."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    p95_ms: float | None = None
    output: str = field(default="", repr=False)


@dataclass
class Section:
    """A table of the report, for benchmarks that write more than one: ``intro`` is printed above it."""

    title: str
    rows: list[dict]
    intro: str = ""


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its base URL and the master's pid (its workers are the master's children)."""

    base: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_cmd(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True,
                            text=True)
    return result.stdout


@contextmanager
def prepared_database(url: str | None = None):
    """Environment for a fresh database (SQLite in a temp dir unless ``url``), migrated, with demo data."""
    workdir = Path(tempfile.mkdtemp(prefix="egov-bench-"))
    env = {**os.environ, "FLASK_APP": "wsgi.py", "SECRET_KEY": "bench-secret",
           "DATABASE_URL": url or f"sqlite:///{workdir / 'bench.sqlite3'}", "LOGIN_RATE_LIMIT": "100000 per minute"}
    try:
        if url and url.startswith("postgresql"):
            _reset_postgres(url)
        flask_cmd(env, "db", "upgrade")
        flask_cmd(env, "demo", "load")
        yield env
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def sibling_database(url: str | None, name: str) -> Iterator[str | None]:
    """A database of its own next to ``url``'s: None when ``url`` is not PostgreSQL (``prepared_database(None)``
    then makes a temporary SQLite file), else a new PostgreSQL database ``<database>_<name>`` on the same
    server (created empty, dropped afterwards)."""
    if not (url or "").startswith("postgres"):
        yield None
        return
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql+psycopg")
    database = f"{parsed.database or 'postgres'}_{name}"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        yield parsed.set(database=database).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2):
    """gunicorn serving wsgi:app with sync workers on a free loopback port; yields the base URL."""
    with serve(env, workers) as server:
        yield server.base


@contextmanager
def serve(env: dict[str, str], workers: int = 2, log_path: Path | None = None,
          app: str = "wsgi:app") -> Iterator[Server]:
    """gunicorn serving ``app`` with sync workers on a free loopback port (its log in ``log_path`` when
    given); yields the ``Server``. The master runs in its own session, so stopping it stops its workers."""
    port = free_port()
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         app], cwd=ROOT, env=env, start_new_session=True, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        yield Server(base, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        if log:
            log.close()


def worker_pids(master: int) -> list[int]:
    """The pids of the processes whose parent is ``master`` (gunicorn's workers), read from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after its last ")"
        if int(stat.rpartition(")")[2].split()[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def http_json(base: str, method: str, path: str, *, token: str | None = None, body: object = None,
              headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, object]:
    """One request on a new connection (sync gunicorn workers close every connection anyway): the status and
    the decoded JSON body (None when it is not JSON). Connection errors and timeouts propagate (OSError,
    http.client.HTTPException)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, None


def _wait_until_up(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/livez", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def api_token(base: str, username: str, password: str) -> str:
    request = urllib.request.Request(base + "/api/v1/auth/token", method="POST",
                                     data=json.dumps({"username": username, "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["token"]


def require_wrk() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("bench needs wrk (Debian package): apt-get install wrk")
    return path


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(name: str, url: str, *, seconds: int = 10, connections: int = 8, threads: int = 1,
            lua: str | None = None) -> LoadResult:
    """Run wrk against ``url`` (optionally with a Lua script for method, headers and body)."""
    command = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    script_path = None
    if lua:
        handle, script_path = tempfile.mkstemp(suffix=".lua")
        os.write(handle, lua.encode())
        os.close(handle)
        command[1:1] = ["-s", script_path]
    try:
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        if script_path:
            os.unlink(script_path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return LoadResult(name, rps, p50, p99, errors, total, output=output)


def bearer_lua(token: str, method: str = "GET", body: str | None = None) -> str:
    """A wrk script sending an Authorization header (and a JSON body)."""
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = [[{body}]]"]
    return "\n".join(lines) + "\n"


def compare(baseline: tuple[str, str, str | None], candidate: tuple[str, str, str | None], *, seconds: int,
            rounds: int = 3, every_round: list[tuple[LoadResult, LoadResult]] | None = None,
            ) -> tuple[LoadResult, LoadResult, float]:
    """Alternate baseline and candidate runs ``rounds`` times (so drift hits both) and return the median run of
    each and the median of the per-round ratios. Each tuple is (name, url, lua script or None). Every round's
    (baseline, candidate) pair is appended to ``every_round`` when given."""
    pairs = []
    for _ in range(rounds):
        base = run_wrk(baseline[0], baseline[1], seconds=seconds, lua=baseline[2])
        cand = run_wrk(candidate[0], candidate[1], seconds=seconds, lua=candidate[2])
        pairs.append((base, cand, cand.requests_per_second / base.requests_per_second))
        if every_round is not None:
            every_round.append((base, cand))
    pairs.sort(key=lambda pair: pair[2])
    base, cand, ratio = pairs[len(pairs) // 2]
    return base, cand, ratio
