"""The FastAPI application: `uvicorn --factory handoff_api.main:create_app`."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from handoff_api.db import Database
from handoff_api.routes import health, pages, tickets
from handoff_api.settings import Settings, get_settings

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.db.create_schema()
        yield
        app.state.db.engine.dispose()

    app = FastAPI(title="Tier0 handoff API", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Only the built client files of the npm packages are served, not all of node_modules.
    socketio_dist = settings.web_vendor_dir / "socket.io-client" / "dist"
    if socketio_dist.is_dir():
        app.mount("/vendor/socket.io", StaticFiles(directory=socketio_dist), name="vendor-socketio")
    app.include_router(health.router)
    app.include_router(tickets.router)
    app.include_router(pages.router)
    return app
