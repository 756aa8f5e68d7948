"""HTTP throughput of the request pipeline: a bare endpoint against an authenticated API call, same server,
same run (PERFORMANCE.md reference: a login_required endpoint reaches 0.57–0.61× bare on SQLite)."""

from __future__ import annotations

from bench.harness import api_token, bearer_lua, compare, gunicorn, run_wrk


def run(env: dict[str, str], seconds: int) -> list[dict]:
    with gunicorn(env) as base:
        token = api_token(base, "learner", "egov-demo-2026")
        run_wrk("warm-up", base + "/livez", seconds=2)
        bare, me, ratio = compare(("bare endpoint GET /livez", base + "/livez", None),
                                  ("authenticated GET /api/v1/me (bearer)", base + "/api/v1/me", bearer_lua(token)),
                                  seconds=seconds)
    return [
        {"benchmark": bare.name, "result": bare, "ratio": 1.0, "target": "baseline"},
        {"benchmark": me.name, "result": me, "ratio": ratio,
         "target": "reference: login_required 0.57–0.61× with one SELECT"},
    ]
