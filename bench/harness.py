"""Benchmark plumbing: a migrated database with demo data, gunicorn on a loopback port, and wrk as the load
generator. Figures are only compared as ratios within one run (PERFORMANCE.md)."""

from __future__ import annotations

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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class LoadResult:
    """What wrk measured for one endpoint."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


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


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2):
    """gunicorn serving wsgi:app with sync workers on a free loopback port; yields the base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


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
    return LoadResult(name, rps, p50, p99, errors, total)


def bearer_lua(token: str, method: str = "GET", body: str | None = None) -> str:
    """A wrk script sending an Authorization header (and a JSON body)."""
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = [[{body}]]"]
    return "\n".join(lines) + "\n"


def compare(baseline: tuple[str, str, str | None], candidate: tuple[str, str, str | None], *, seconds: int,
            rounds: int = 3) -> tuple[LoadResult, LoadResult, float]:
    """Alternate baseline and candidate runs ``rounds`` times (so drift hits both) and return the median run of
    each and the median of the per-round ratios. Each tuple is (name, url, lua script or None)."""
    pairs = []
    for _ in range(rounds):
        base = run_wrk(baseline[0], baseline[1], seconds=seconds, lua=baseline[2])
        cand = run_wrk(candidate[0], candidate[1], seconds=seconds, lua=candidate[2])
        pairs.append((base, cand, cand.requests_per_second / base.requests_per_second))
    pairs.sort(key=lambda pair: pair[2])
    base, cand, ratio = pairs[len(pairs) // 2]
    return base, cand, ratio
