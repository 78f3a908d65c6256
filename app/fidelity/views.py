"""The fidelity pages: the dashboard a lead (or a facilitator, for their own cohorts) runs
the programme from, the drill-downs for a cohort, a child and a mentor, and a printable
report for funders and boards.

Every figure comes from app/fidelity/summary.py and drilldown.py, as the JSON API's do; each
page runs a fixed number of queries, whatever the size of the programme."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app.audit import service as audit
from app.auth.deps import CurrentOrg, CurrentUser, LeadUser, Today
from app.auth.models import Role, User
from app.db import DbSession
from app.exceptions import Forbidden, NotFound
from app.fidelity import drilldown, flags, service, summary
from app.fidelity.charts import Chart, bar_chart, format_value, line_chart, paired_bar_chart
from app.fidelity.forms import AcknowledgeForm, AsOfForm, note_id
from app.fidelity.schemas import AcknowledgementIn, FidelityReport
from app.fidelity.words import (
    ALL_DEFINITIONS,
    ALL_LABELS,
    ATTENDANCE_WORDS,
    COUNT_DEFINITIONS,
    DEFINITIONS,
    GROUP_METRICS,
    LABELS,
    MENTORING_METRICS,
    PROGRAMME_METRICS,
    SORTS,
    STATUS_WORDS,
    WEEKLY_ONLY,
    cards,
    figure,
    hours,
    percent,
    short_figure,
    week_label,
)
from app.forms import FORM
from app.web import NAV_BADGES, FormData, PathId, redirect, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

LEADS = (Role.lead, Role.admin)

# The date the figures run to -----------------------------------------------------------------


@dataclass(frozen=True)
class AsOf:
    """The date the figures run to, as the pages' date form shows it."""

    day: dt.date  # today when the date asked for is not a real one
    boxes: dict[str, str]  # the form's day, month and year
    errors: Mapping[str, str]


def as_of_from(request: Request, today: dt.date) -> AsOf:
    """The ?as_of=YYYY-MM-DD of a link, or the date typed in the form (as_of-day, -month,
    -year); today, with what was typed and the error to show, when it is not a real date."""
    submission = AsOfForm.read_query(request.query_params)
    if submission.data is None:
        return AsOf(today, submission.values["as_of"], submission.errors)
    day = submission.data.as_of or today
    return AsOf(day, AsOfForm.initial(as_of=day)["as_of"], {})


def _query(as_of: dt.date, **extra: Any) -> str:
    parts = [f"as_of={as_of.isoformat()}"] + [f"{k}={v}" for k, v in extra.items() if v]
    return "?" + "&".join(parts)


def _base(request: Request, as_of: AsOf) -> dict[str, Any]:
    return {
        "as_of": as_of.day,
        "as_of_fields": as_of.boxes,
        "errors": as_of.errors,
        "q": _query(as_of.day),
        "path": request.url.path,
    }


def _status(as_of: AsOf) -> int:
    return 422 if as_of.errors else 200


# The dashboard -------------------------------------------------------------------------------


def sorted_cohorts(
    report: FidelityReport, sort: str | None, direction: str | None
) -> tuple[list[Any], str | None, str]:
    """The cohorts in the order asked for (unknown columns ignored); no figure sorts last."""
    descending = direction == "desc"
    cohorts = list(report.cohorts)
    if sort not in SORTS:
        return cohorts, None, "asc"
    if sort == "name":
        cohorts.sort(key=lambda c: c.name.lower(), reverse=descending)
    elif sort == "start_date":
        cohorts.sort(key=lambda c: c.start_date, reverse=descending)
    else:
        known = [c for c in cohorts if getattr(c.metrics, sort) is not None]
        missing = [c for c in cohorts if getattr(c.metrics, sort) is None]
        known.sort(key=lambda c: getattr(c.metrics, sort), reverse=descending)
        cohorts = known + missing
    return cohorts, sort, "desc" if descending else "asc"


def flag_groups(report: FidelityReport) -> list[dict[str, Any]]:
    """The flags by kind, most urgent kind first (the order of flags.KINDS)."""
    groups = []
    for kind, label in flags.KINDS.items():
        found = [f for f in report.flags if f.kind == kind]
        if found:
            groups.append({"kind": kind, "label": label, "flags": found})
    return groups


def dashboard_charts(weeks: list[drilldown.Week], band: tuple[float, float]) -> list[Chart]:
    return [
        bar_chart(
            "Attendance by week",
            [
                (
                    week_label(w.monday),
                    None if w.attendance_rate is None else w.attendance_rate * 100,
                )
                for w in weeks
            ],
            unit="attendance",
            percent=True,
            x_label="Week beginning",
        ),
        paired_bar_chart(
            "Sessions planned and delivered by week",
            [(week_label(w.monday), w.planned, w.delivered) for w in weeks],
            series=("Planned", "Delivered"),
            x_label="Week beginning",
        ),
        bar_chart(
            "Mentoring hours per match by week",
            [(week_label(w.monday), w.hours_per_match) for w in weeks],
            unit="hours",
            target=band,
            x_label="Week beginning",
        ),
    ]


@router.get("/fidelity", response_class=HTMLResponse)
def dashboard(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    sort: str | None = None,
    dir: str | None = None,
    programme_id: str | None = None,
) -> HTMLResponse:
    as_of = as_of_from(request, today)
    return render(
        request,
        "fidelity/dashboard.html",
        _dashboard(request, db, actor, today, as_of, sort, dir, _id_param(programme_id)),
        status_code=_status(as_of),
    )


def _id_param(raw: str | None, what: str = "programme") -> int | None:
    """A programme (or cohort) id from the query: none, or a page not found for one that
    is not a whole number in range."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) < 2**31:
        raise NotFound(f"There is no {what} {text[:20]}.")
    return int(text)


def programme_tabs(
    scope: service.Scope, as_of: dt.date, chosen: int | None
) -> list[dict[str, Any]]:
    """The picker: the whole organisation, then each programme (none with one programme)."""
    if len(scope.programmes) < 2:
        return []
    return [
        {"name": "All programmes", "href": "/fidelity" + _query(as_of), "current": chosen is None}
    ] + [
        {
            "name": p.name,
            "href": "/fidelity" + _query(as_of, programme_id=p.id),
            "current": p.id == chosen,
        }
        for p in scope.programmes
    ]


def _dashboard(
    request: Request,
    db: Session,
    actor: User,
    today: dt.date,
    as_of: AsOf,
    sort: str | None = None,
    dir: str | None = None,
    programme_id: int | None = None,
) -> dict[str, Any]:
    report = summary.fidelity(db, actor=actor, as_of=as_of.day, programme_id=programme_id)
    scope = service.scope_for(db, actor=actor, as_of=as_of.day, programme_id=programme_id)
    chosen = scope.programme
    several = len(scope.programmes) > 1
    metrics = report.metrics.model_dump()
    shown = [m for m in service.METRICS if m not in report.not_applicable]
    if chosen is not None or several:
        shown += [m for m in PROGRAMME_METRICS if m not in report.not_applicable]
    weeks = drilldown.weekly(db, scope)
    if not as_of.errors and as_of.day == today and programme_id is None:
        remember_flag_count(actor.org_id, actor.role, actor.id or 0, len(report.flags))
    cohorts, sorted_by, direction = sorted_cohorts(report, sort, dir)
    sort_caption = None
    if sorted_by == "name":
        sort_caption = "by name, " + ("Z to A" if direction == "desc" else "A to Z")
    elif sorted_by is not None:
        first = "highest" if direction == "desc" else "lowest"
        sort_caption = f"sorted by {LABELS[sorted_by].lower()}, {first} first"
    names = {c.id: c.name for c in report.cohorts}
    below = [c for c in report.children if c.below_threshold]
    programme_columns = [(m, ALL_LABELS[m]) for m in (*service.METRICS, *PROGRAMME_METRICS)]
    return {
        **_base(request, as_of),
        "q": _query(as_of.day, programme_id=programme_id),
        "report": report,
        "cards": cards(metrics, tuple(shown)),
        "programme_tabs": programme_tabs(scope, as_of.day, programme_id),
        "programme": chosen,
        "show_groups": chosen is None or chosen.has_groups,
        "programme_rows": report.programmes or [],
        "programme_columns": programme_columns,
        "help": [(ALL_LABELS[m], ALL_DEFINITIONS[m]) for m in shown] if several else [],
        "weekly_only": WEEKLY_ONLY if several else None,
        "not_applicable": report.not_applicable,
        "tidy": service.tidy,
        "charts": dashboard_charts(weeks, report.mentoring_band),
        "cohorts": cohorts,
        "sorted_by": sorted_by,
        "sort_caption": sort_caption,
        "direction": direction,
        "columns": [("name", "Cohort"), *((m, LABELS[m]) for m in service.METRICS)],
        "groups": flag_groups(report),
        "below": below,
        "first_names": drilldown.first_names(db, scope, [c.child_id for c in below]),
        "names": names,
        # The mentors' table is weekly (hours a week against the weekly band): a programme
        # counted by the month has none of its figures, so it is left out there.
        "show_mentors": actor.role in LEADS
        and "mentoring_hours_per_week" not in report.not_applicable,
        "short_figure": short_figure,
        "figure": figure,  # with its unit: the programmes' tables have no unit in the header
        "percent": percent,
        "threshold": percent(report.dosage_threshold),
        "band": report.mentoring_band,
        "can_acknowledge": actor.role in LEADS,
        "note_id": note_id,
        "assessment_in": flags.assessment_in,
        "ack_values": {},
        "ack_errors": {},
    }


@router.post("/fidelity/flags/acknowledge", response_class=HTMLResponse)
def acknowledge(
    request: Request, db: DbSession, actor: LeadUser, today: Today, form: FormData
) -> Response:
    """A lead's note on a past flag (one form per such flag on the dashboard): back to the
    dashboard with a banner, or the dashboard again with the problem beside that flag's
    note and nothing saved."""
    submission = AcknowledgeForm.read(form)
    values = submission.values
    box = note_id(
        values["kind"],
        values["session_id"],
        values["child_id"],
        values["measure"],
        values["timepoint"],
        values.get("match_id") if values["kind"] == "match_ended_early" else None,
    )
    if submission.data:
        data = submission.data
        try:
            with submission.saving(rename={"note": box}):
                done = summary.acknowledge(
                    db,
                    actor=actor,
                    today=today,
                    body=AcknowledgementIn(
                        kind=data.kind,
                        session_id=data.session_id,
                        child_id=data.child_id,
                        match_id=data.match_id,
                        measure=data.measure,
                        timepoint=data.timepoint,
                        note=data.note,
                    ),
                )
                return redirect(
                    request, "/fidelity#acknowledged", notice=f"Flag acknowledged: {done.message}"
                )
        except NotFound as exc:  # no such flag (another organisation's session too): 404
            submission.errors.add(FORM, exc.detail)
            submission.status_code = exc.status_code
    # The note box is named after its flag; a problem with the hidden fields is the form's.
    errors = {
        (box if name in ("note", box) else FORM): text for name, text in submission.errors.items()
    }
    db.rollback()
    context = _dashboard(request, db, actor, today, as_of_from(request, today))
    return render(
        request,
        "fidelity/dashboard.html",
        {
            **context,
            "errors": errors,
            "ack_values": {box: submission.values["note"]},
            "ack_errors": errors,
        },
        status_code=submission.status_code,
    )


# A cohort, week by week ----------------------------------------------------------------------


@router.get("/fidelity/cohorts/{cohort_id}", response_class=HTMLResponse)
def cohort_page(
    request: Request, db: DbSession, actor: CurrentUser, today: Today, cohort_id: PathId
) -> HTMLResponse:
    as_of = as_of_from(request, today)
    scope = service.scope_for(db, actor=actor, as_of=as_of.day, cohort_id=cohort_id)
    cohort, sessions = drilldown.cohort_sessions(db, scope, cohort_id)
    report = summary.fidelity(db, actor=actor, as_of=as_of.day, cohort_id=cohort_id)
    delivered = [s for s in sessions if s.status == "delivered"]
    charts = [
        bar_chart(
            "Attendance at each session",
            [
                (f"Wk {s.week}", None if s.attendance_rate is None else s.attendance_rate * 100)
                for s in delivered
            ],
            unit="attendance",
            percent=True,
            x_label="Session",
        ),
        bar_chart(
            "Core content delivered at each session",
            [
                (
                    f"Wk {s.week}",
                    None if s.core_coverage_rate is None else s.core_coverage_rate * 100,
                )
                for s in delivered
            ],
            unit="core content",
            percent=True,
            x_label="Session",
        ),
    ]
    return render(
        request,
        "fidelity/cohort.html",
        {
            **_base(request, as_of),
            "cohort": cohort,
            "sessions": sessions,
            "charts": charts,
            "cards": cards(report.metrics.model_dump()),
            "children": report.children,
            "first_names": drilldown.first_names(db, scope, [c.child_id for c in report.children]),
            "status_words": STATUS_WORDS,
            "percent": percent,
            "threshold": percent(report.dosage_threshold),
        },
        status_code=_status(as_of),
    )


# A child -------------------------------------------------------------------------------------


@router.get("/fidelity/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request, db: DbSession, actor: CurrentUser, today: Today, child_id: PathId
) -> HTMLResponse:
    as_of = as_of_from(request, today)
    scope = service.scope_for(db, actor=actor, as_of=as_of.day)
    detail = drilldown.child_detail(db, scope, child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="fidelity")
    dosages = [d for d in service.child_dosage(db, scope) if d.child_id == child_id]
    chart = bar_chart(
        "Mentoring hours by week",
        [(week_label(day), value) for day, value in detail.weeks],
        unit="hours",
        target=scope.band,
        x_label="Week beginning",
    )
    return render(
        request,
        "fidelity/child.html",
        {
            **_base(request, as_of),
            "detail": detail,
            "child": detail.child,
            "dosages": dosages,
            "hours_chart": chart,
            "average": hours(service.ratio(detail.minutes / 60, detail.match_weeks)),
            "attendance_words": ATTENDANCE_WORDS,
            "percent": percent,
            "threshold": percent(scope.threshold),
            "band": scope.band,
        },
        status_code=_status(as_of),
    )


# A mentor ------------------------------------------------------------------------------------


@router.get("/fidelity/mentors/{mentor_id}", response_class=HTMLResponse)
def mentor_page(
    request: Request, db: DbSession, actor: CurrentUser, today: Today, mentor_id: PathId
) -> HTMLResponse:
    as_of = as_of_from(request, today)
    scope = service.scope_for(db, actor=actor, as_of=as_of.day)
    mentor, mentees = drilldown.mentor_detail(db, scope, mentor_id)
    low, high = scope.band
    firsts = [m.first_name for m in mentees]
    series: dict[str, list[tuple[str, float | None]]] = {}
    rows = []
    for mentee in mentees:
        name = mentee.first_name
        if firsts.count(name) > 1:
            name = f"{name} ({mentee.reference})"
        series[name] = [(week_label(day), value) for day, value in mentee.weeks]
        values = [value for _, value in mentee.weeks]
        rows.append(
            {
                "mentee": mentee,
                "name": f"{mentee.first_name} ({mentee.reference})",
                "weeks": len(values),
                "average": hours(sum(values) / len(values) if values else None),
                "in_band": sum(1 for v in values if low <= v <= high),
                "visited": sum(1 for v in values if v > 0),
            }
        )
    chart = line_chart(
        "Mentoring hours per mentee by week",
        series,
        unit="hours",
        target=scope.band,
        x_label="Week beginning",
    )
    return render(
        request,
        "fidelity/mentor.html",
        {
            **_base(request, as_of),
            "mentor": mentor,
            "rows": rows,
            "hours_chart": chart,
            "band": scope.band,
        },
        status_code=_status(as_of),
    )


# The printable report ------------------------------------------------------------------------


def _cohort_param(raw: str | None) -> int | None:
    return _id_param(raw, "cohort")


@router.get("/fidelity/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    today: Today,
    cohort_id: str | None = None,
) -> HTMLResponse:
    as_of = as_of_from(request, today)
    which = _cohort_param(cohort_id)
    report = summary.fidelity(db, actor=actor, as_of=as_of.day, cohort_id=which)
    scope = service.scope_for(db, actor=actor, as_of=as_of.day, cohort_id=which)
    weeks = drilldown.weekly(db, scope)
    names = {c.id: c.name for c in report.cohorts}
    counts = [
        (label, sum(1 for f in report.flags if f.kind == kind))
        for kind, label in flags.KINDS.items()
    ]
    return render(
        request,
        "fidelity/report.html",
        {
            **_base(request, as_of),
            "report": report,
            "organisation": org.name,
            "cohort_name": names.get(which) if which else None,
            "cards": cards(report.metrics.model_dump()),
            "names": names,
            "counts": counts,
            "totals": report.counts,
            "totals_shown": {}
            if report.counts is None
            else {
                key: format_value(value) if isinstance(value, float) else f"{value:,}"
                for key, value in report.counts.model_dump().items()
            },
            "count_definitions": COUNT_DEFINITIONS,
            "charts": dashboard_charts(weeks, report.mentoring_band),
            "group_metrics": GROUP_METRICS,
            "mentoring_metrics": MENTORING_METRICS,
            "total_flags": len(report.flags),
            "short_figure": short_figure,
            "percent": percent,
            "labels": LABELS,
            "metrics": service.METRICS,
            "definitions": DEFINITIONS,
            "threshold": percent(report.dosage_threshold),
            "band": report.mentoring_band,
            "q": _query(as_of.day, cohort_id=which),
        },
        status_code=_status(as_of),
    )


# The number of flags in the navigation -------------------------------------------------------
#
# Flags cost about ten queries, so the navigation never computes them while a page renders:
# it shows the count cached in this process (a tiny dict with timestamps, kept 60 seconds per
# organisation and role, and per facilitator, whose flags are their own cohorts'), and when
# there is none, a placeholder that htmx fills from /fidelity/flag-count, which computes the
# count and caches it. The dashboard caches the count it has just computed. So a page runs
# the same queries with or without the badge, and a failure shows no count, never an error.

FLAG_COUNT_SECONDS = 60.0
_flag_counts: dict[tuple[int, str, int | None], tuple[float, int]] = {}


def _flag_key(org_id: int, role: Any, user_id: int) -> tuple[int, str, int | None]:
    role = str(getattr(role, "value", role))
    return org_id, role, user_id if role == Role.facilitator.value else None


def remember_flag_count(org_id: int, role: Any, user_id: int, count: int) -> None:
    _flag_counts[_flag_key(org_id, role, user_id)] = (time.monotonic(), count)


def cached_flag_count(org_id: int, role: Any, user_id: int) -> int | None:
    found = _flag_counts.get(_flag_key(org_id, role, user_id))
    if found is None or time.monotonic() - found[0] > FLAG_COUNT_SECONDS:
        return None
    return found[1]


def clear_flag_counts() -> None:
    _flag_counts.clear()


def flag_badge(count: int) -> Markup:
    if not count:
        return Markup("")
    return Markup(
        '<strong class="govuk-tag govuk-tag--red tandem-nav-count">{}'
        '<span class="govuk-visually-hidden"> flag{}</span></strong>'
    ).format(count, "" if count == 1 else "s")


def nav_badge(request: Request, viewer: Any) -> Markup | None:
    """The navigation's flag count for the viewer: the cached one, or a placeholder."""
    if viewer.role not in (*LEADS, Role.facilitator):
        return None
    count = cached_flag_count(viewer.org_id, viewer.role, viewer.id)
    if count is not None:
        return flag_badge(count)
    return Markup(
        '<span class="tandem-nav-count-slot" hx-get="/fidelity/flag-count" '
        'hx-trigger="load" hx-swap="outerHTML"></span>'
    )


NAV_BADGES["/fidelity"] = nav_badge


@router.get("/fidelity/flag-count", response_class=HTMLResponse)
def flag_count(db: DbSession, actor: CurrentUser, today: Today) -> HTMLResponse:
    """The navigation's badge, fetched by htmx when no count is cached."""
    if actor.role not in (*LEADS, Role.facilitator):
        raise Forbidden("The fidelity figures are for programme leads and facilitators.")
    count = cached_flag_count(actor.org_id, actor.role, actor.id or 0)
    if count is None:
        try:
            with db.begin_nested():  # a failed query leaves the request's session usable
                count = summary.flag_count(db, actor=actor, as_of=today)
        except Exception:  # the badge is a convenience: never an error page for it
            log.exception("fidelity.flag_count_failed")
            return HTMLResponse("", headers={"Cache-Control": "no-store"})
        remember_flag_count(actor.org_id, actor.role, actor.id or 0, count)
    return HTMLResponse(str(flag_badge(count)), headers={"Cache-Control": "no-store"})
