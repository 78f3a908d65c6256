"""The application factory: middleware, routers and error handlers."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from app.audit import api as audit_api
from app.audit import views as audit_views
from app.auth import api as auth_api
from app.auth import views as auth_views
from app.calendar import api as calendar_api
from app.calendar import views as calendar_views
from app.children import api as children_api
from app.children import views as children_views
from app.cohorts import api as cohorts_api
from app.cohorts import views as cohorts_views
from app.config import get_settings, production_problems
from app.curriculum import api as curriculum_api
from app.curriculum import views as curriculum_views
from app.errors import Problem, install_error_handlers
from app.fidelity import api as fidelity_api
from app.fidelity import views as fidelity_views
from app.logs import AccessLogMiddleware, configure_logging
from app.mail import api as mail_api
from app.mail import views as mail_views
from app.mentoring import api as mentoring_api
from app.mentoring.matching import views as matching_views
from app.mentoring.profiles import views as profiles_views
from app.mentoring.visits import views as visits_views
from app.mentoring.week import views as week_views
from app.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from app.notify.worker import SERVE_WORKER_ENV, Worker
from app.outcomes.assessments import api as assessments_api
from app.outcomes.assessments import views as assessments_views
from app.outcomes.evaluation import api as evaluation_api
from app.outcomes.evaluation import views as evaluation_views
from app.outcomes.events import api as events_api
from app.outcomes.events import views as events_views
from app.outcomes.measures import api as measures_api
from app.outcomes.measures import views as measures_views
from app.outcomes.report import api as outcomes_report_api
from app.outcomes.report import views as outcomes_report_views
from app.programmes import api as programmes_api
from app.programmes import views as programmes_views
from app.records import api as records_api
from app.records import retention_views
from app.records import views as records_views
from app.records.looked import api as looked_api
from app.records.looked import views as looked_views
from app.sessions import api as sessions_api
from app.sessions import views as sessions_views
from app.site import api as site_api
from app.site import panels
from app.site import views as site_views
from app.site.privacy import api as privacy_api
from app.site.privacy import views as privacy_views
from app.web import STATIC_DIR

API_PREFIX = "/api/v1"


def _api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(auth_api.router)
    router.include_router(curriculum_api.router)
    router.include_router(measures_api.router)
    router.include_router(audit_api.router)
    router.include_router(children_api.router)
    router.include_router(children_api.lists_router)
    router.include_router(records_api.router)
    router.include_router(looked_api.router)
    router.include_router(privacy_api.router)
    router.include_router(programmes_api.router)
    router.include_router(cohorts_api.router)
    router.include_router(sessions_api.router)
    router.include_router(calendar_api.router)
    router.include_router(mentoring_api.router)
    router.include_router(fidelity_api.router)
    router.include_router(outcomes_report_api.router)
    router.include_router(mail_api.router)
    router.include_router(events_api.router)
    router.include_router(evaluation_api.router)
    router.include_router(assessments_api.router)
    return router


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error described as RFC 9457 problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    problem_content = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid input", "content": problem_content}
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def _stop_with_the_master() -> None:
    """A server process uvicorn started (TANDEM_WORKERS > 1) stops when the master does.
    Killed with SIGKILL, the master cannot stop its workers, and they would keep the port
    and serve on; each watches its master and stops itself gracefully (SIGTERM) when it
    has gone. A lone server process (no master) watches nothing."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns once the master has gone (its end of a pipe closed)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="master-watch", daemon=True).start()


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Handlers run in a thread pool sized above the request gate (app/db.py), so that a
    request holding a connection always finds a thread to finish on."""
    settings = get_settings()
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(settings.threads, settings.db_pool_size + 10)
    # `tandem serve` asks for a worker in each server process (several are safe: each
    # message is claimed atomically before it is sent); tests and `--no-worker` run none.
    _stop_with_the_master()
    worker = Worker() if os.environ.get(SERVE_WORKER_ENV) == "1" else None
    thread = worker.start_thread() if worker else None
    try:
        yield
    finally:
        if worker and thread:
            worker.stop()
            await anyio.to_thread.run_sync(thread.join, settings.smtp_timeout * 2)


def create_app() -> FastAPI:
    settings = get_settings()
    problems = production_problems(settings)
    if problems:  # refuse to start: uvicorn app.main:create_app, as well as `tandem serve`
        raise RuntimeError("Tandem will not start in production: " + "; ".join(problems))
    configure_logging(settings)
    app = FastAPI(
        lifespan=_lifespan,
        title="Tandem",
        version="1",
        description="Schedule, deliver and evidence a skills group with mentoring.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")

    app.include_router(site_api.router)
    app.include_router(_api_router())
    panels.register()
    app.include_router(site_views.router)
    app.include_router(auth_views.router)
    app.include_router(audit_views.router)
    app.include_router(curriculum_views.router)
    app.include_router(measures_views.router)
    app.include_router(children_views.router)
    app.include_router(retention_views.router)
    app.include_router(records_views.router)
    app.include_router(programmes_views.router)
    app.include_router(cohorts_views.router)
    app.include_router(sessions_views.router)
    app.include_router(calendar_views.router)
    app.include_router(profiles_views.router)
    app.include_router(matching_views.router)
    app.include_router(week_views.router)
    app.include_router(visits_views.router)
    app.include_router(fidelity_views.router)
    app.include_router(outcomes_report_views.router)
    app.include_router(mail_views.router)
    app.include_router(events_views.router)
    app.include_router(evaluation_views.router)
    app.include_router(assessments_views.router)
    app.include_router(looked_views.router)
    app.include_router(privacy_views.router)
    app.include_router(calendar_api.feeds)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
