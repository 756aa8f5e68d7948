"""HTTP throughput of the request pipeline: a bare endpoint against an authenticated API call, same server,
same run (PERFORMANCE.md reference: a login_required endpoint reaches 0.57–0.61× bare on SQLite)."""

from __future__ import annotations

from bench.harness import api_token, bearer_lua, gunicorn, run_wrk


def run(env: dict[str, str], seconds: int) -> list[dict]:
    with gunicorn(env) as base:
        token = api_token(base, "learner", "egov-demo-2026")
        run_wrk("warm-up", base + "/livez", seconds=2)
        bare = run_wrk("bare endpoint GET /livez", base + "/livez", seconds=seconds)
        me = run_wrk("authenticated GET /api/v1/me (bearer)", base + "/api/v1/me", seconds=seconds,
                     lua=bearer_lua(token))
    return [
        {"benchmark": bare.name, "result": bare, "ratio": 1.0, "target": "baseline"},
        {"benchmark": me.name, "result": me, "ratio": me.requests_per_second / bare.requests_per_second,
         "target": "≥ 0.40× (reference 0.57–0.61×)"},
    ]
