"""The outcomes page (/outcomes, leads and admins) and its printable version
(/outcomes/print): filters by cohort, measure and date, the figures of
app/outcomes/report/service.py as tables, a slope chart of the means and reliable-change
bars per measure and informant, and the definitions. A fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlmodel import col

from app.auth.deps import CurrentOrg, CurrentUser, Today
from app.auth.models import Role
from app.cohorts.models import Cohort
from app.db import DbSession
from app.exceptions import Forbidden, Invalid, NotFound
from app.fidelity.forms import AsOfForm
from app.outcomes.events.schemas import KIND_WORDS
from app.outcomes.report import service
from app.outcomes.report.charts import reliable_change_chart, slope_chart
from app.outcomes.report.schemas import MeasureRow, OutcomesReport
from app.outcomes.service import measures as latest_measures
from app.web import render

router = APIRouter(include_in_schema=False)

TIMEPOINT_WORDS = {
    "baseline": "Baseline",
    "end": "End",
    "follow_up_6m": "6-month follow-up",
    "follow_up_12m": "12-month follow-up",
}
TOO_FEW = "too few to report"


def _cohort_param(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) < 2**31:
        raise NotFound(f"There is no cohort {text[:20]}.")
    return int(text)


def number(value: float | None, places: int = 1) -> str:
    return TOO_FEW if value is None else f"{value:.{places}f}"


def share(value: float | None) -> str:
    return "\u2013" if value is None else f"{round(value * 100)}%"


def groups(report: OutcomesReport) -> list[dict[str, Any]]:
    """The rows by measure and informant, each group with its two charts."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in report.measures:
        group = out.setdefault(
            (row.measure, row.informant),
            {"measure": row.measure_name, "informant": row.informant_name, "rows": []},
        )
        group["rows"].append(row)
    for group in out.values():
        rows: list[MeasureRow] = group["rows"]
        title = f"{group['measure']} ({group['informant']})"
        series = {
            row.scale_name: [
                ("Baseline", row.baseline_mean),
                ("End", row.end_mean),
            ]
            for row in rows
        }
        group["slope"] = slope_chart(f"Mean scores, {title}", series)
        counted = [
            (r.scale_name, r.improved, r.no_reliable_change, r.deteriorated)
            for r in rows
            if r.improved is not None
            and r.no_reliable_change is not None
            and r.deteriorated is not None
        ]
        group["change"] = reliable_change_chart(f"Reliable change, {title}", counted)
    return list(out.values())


def _page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    today: dt.date,
    cohort_id: str | None,
    measure: str | None,
    *,
    printable: bool,
) -> HTMLResponse:
    if actor.role not in (Role.lead, Role.admin):
        raise Forbidden("The outcomes report is for programme leads.")
    submission = AsOfForm.read_query(request.query_params)
    errors: dict[str, str] = dict(submission.errors)
    values = submission.values["as_of"]
    day = today
    if submission.data is not None:
        day = submission.data.as_of or today
        values = AsOfForm.initial(as_of=day)["as_of"]
    which = _cohort_param(cohort_id)
    chosen = (measure or "").strip() or None
    try:
        report = service.outcomes(db, actor=actor, as_of=day, cohort_id=which, measure=chosen)
    except Invalid:
        errors["measure"] = "Choose a measure from the list"
        chosen = None
        report = service.outcomes(db, actor=actor, as_of=day, cohort_id=which)
    cohorts = db.execute(
        select(col(Cohort.id), col(Cohort.name))
        .where(col(Cohort.org_id) == actor.org_id)
        .order_by(col(Cohort.start_date).desc(), col(Cohort.name))
    ).all()
    names: dict[int, str] = {int(cid): str(name) for cid, name in cohorts}
    query = [f"as_of={day.isoformat()}"]
    if which:
        query.append(f"cohort_id={which}")
    if chosen:
        query.append(f"measure={chosen}")
    return render(
        request,
        "outcomes/report.html",
        {
            "report": report,
            "groups": groups(report),
            "event_words": KIND_WORDS,
            "organisation": org.name,
            "cohort_name": names.get(which) if which else None,
            "cohort_options": [("", "All cohorts")] + [(str(c), n) for c, n in cohorts],
            "measure_options": [("", "All measures")]
            + [(row.key, d.name) for row, d in latest_measures(db)],
            "cohort_value": str(which or ""),
            "measure_value": chosen or "",
            "as_of": day,
            "as_of_fields": values,
            "errors": errors,
            "q": "?" + "&".join(query),
            "printable": printable,
            "number": number,
            "share": share,
            "too_few": TOO_FEW,
            "timepoints": TIMEPOINT_WORDS,
            "threshold": f"{round(report.dosage_threshold * 100)}%",
        },
        status_code=422 if errors else 200,
    )


@router.get("/outcomes", response_class=HTMLResponse)
def outcomes_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    today: Today,
    cohort_id: str | None = None,
    measure: str | None = None,
) -> HTMLResponse:
    return _page(request, db, actor, org, today, cohort_id, measure, printable=False)


@router.get("/outcomes/print", response_class=HTMLResponse)
def outcomes_print(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    today: Today,
    cohort_id: str | None = None,
    measure: str | None = None,
) -> HTMLResponse:
    return _page(request, db, actor, org, today, cohort_id, measure, printable=True)
