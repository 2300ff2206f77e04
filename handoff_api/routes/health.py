"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from handoff_api.migrate import current_revisions, head_revisions

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "database unreachable or schema not at head"}})
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and its schema is at the newest migration."""
    try:
        current = current_revisions(request.app.state.db.engine)
    except Exception as exc:  # any driver error means "not ready"
        return JSONResponse({"status": "unavailable", "database": str(exc)[:200]}, status_code=503)
    heads = head_revisions()
    if current != heads:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "migrations": f"at {sorted(current)}, head is {sorted(heads)}"},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "migrations": "head"})
