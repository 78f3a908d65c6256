"""The fidelity pages' words: what each figure is called and means (the report's
glossary), and figures as the pages show them ("92%", "2.5 hours a week", "No data yet")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.fidelity import service
from app.fidelity.charts import format_value

# What each figure is called on the pages, and what it means (the report's glossary).
LABELS: dict[str, str] = {
    "delivery_rate": "Sessions delivered",
    "attendance_rate": "Attendance",
    "core_coverage_rate": "Core content delivered",
    "two_facilitator_rate": "Sessions with two facilitators",
    "mentoring_hours_per_week": "Mentoring hours per match",
    "weeks_with_visit_rate": "Weeks with a visit",
    "weeks_in_band_rate": "Weeks in the hours band",
    "practice_completion_rate": "Practice tasks completed",
    "retention_rate": "Children still in the programme",
}
DEFINITIONS: dict[str, str] = {
    "delivery_rate": "Sessions delivered, out of those delivered, cancelled or past their "
    "date and not recorded.",
    "attendance_rate": "Children marked present or late, out of every register entry of the "
    "delivered sessions.",
    "core_coverage_rate": "The core activities of each delivered session's lesson that were "
    "delivered (a partly delivered activity counts as half).",
    "two_facilitator_rate": "Delivered sessions with at least two facilitators present.",
    "mentoring_hours_per_week": "Hours of completed mentoring visits, per match, per full "
    "week of the match.",
    "weeks_with_visit_rate": "Full weeks of a match with at least one completed visit.",
    "weeks_in_band_rate": "Full weeks of a match whose visit hours were within the "
    "organisation's band.",
    "practice_completion_rate": "Practice tasks completed, out of those due (a week after "
    "their session).",
    "retention_rate": "Enrolments never withdrawn, out of every enrolment.",
}
# The figures added with programmes (issue 19): shown when an organisation runs more than one
# programme, or for one programme; definitions as DESIGN.md ("Second-wave definitions").
PROGRAMME_LABELS: dict[str, str] = {
    "mentoring_hours_per_month": "Visit hours per match a month",
    "months_with_visit_rate": "Months with a visit",
    "months_in_band_rate": "Months in the hours band",
    "match_length_median_days": "Match length (median)",
    "reached_expected_rate": "Matches reaching the expected length",
    "early_endings": "Matches ended early",
}
PROGRAMME_DEFINITIONS: dict[str, str] = {
    "mentoring_hours_per_month": "Hours of completed visits, per match, per full "
    "calendar month of the match (match-months): the months from the month the match "
    "started up to, not including, the month of the date (or up to and including the "
    "month it ended, if earlier). Only matches of programmes whose band is per month.",
    "months_with_visit_rate": "Match-months with at least one completed visit, out of "
    "all match-months.",
    "months_in_band_rate": "Match-months whose completed visit hours were within the "
    "match's programme's monthly band, out of all match-months (a month with no visit "
    "has 0 hours: in the band only when the band starts at 0).",
    "match_length_median_days": "The middle length, in days, of the matches started by "
    "the date: end date (or the date itself, while the match runs) minus start date; "
    "with an even number of matches, the mean of the two middle lengths.",
    "reached_expected_rate": "Matches ended by the date that lasted their programme's "
    "expected length (the end date on or after the start date plus that many calendar "
    "months, the day kept or, in a shorter month, its last day), out of the matches "
    "ended by the date in programmes with an expected length.",
    "early_endings": "Matches ended by the date before their programme's expected "
    "length, by who ended them (the programme, the mentor, the young person, the carer "
    "or the social worker). Open-ended programmes have none.",
}
# With more than one programme, the weekly figures say which matches they cover.
WEEKLY_ONLY = (
    "Weekly figures count only matches of programmes whose band is per week, each held to "
    "its own programme's band; monthly figures only those whose band is per month."
)
PROGRAMME_METRICS = (
    "mentoring_hours_per_month",
    "months_with_visit_rate",
    "months_in_band_rate",
    "match_length_median_days",
    "reached_expected_rate",
    "early_endings",
)
ALL_LABELS = {**LABELS, **PROGRAMME_LABELS}
ALL_DEFINITIONS = {**DEFINITIONS, **PROGRAMME_DEFINITIONS}
HOURS = "mentoring_hours_per_week"
MONTH_HOURS = "mentoring_hours_per_month"
# The report's counts beside the rates, and what each counts (the JSON's `counts`).
COUNT_DEFINITIONS: dict[str, tuple[str, str]] = {
    "children_served": (
        "Children served",
        "Children enrolled in a cohort on or before the date, whether or not they later left "
        "(each child once, however many cohorts).",
    ),
    "sessions_delivered": (
        "Sessions delivered",
        "Group sessions recorded as delivered, dated on or before the date (the sessions "
        "the delivery rate counts as delivered).",
    ),
    "mentoring_hours": (
        "Mentoring hours",
        "Hours of completed mentoring visits in the full weeks of each match (the hours "
        "the mentoring hours per match figure is worked out from).",
    ),
    "mentors_active": (
        "Mentors active",
        "Mentors with a match, or a child's practice task, up to the date (the mentors in "
        "the table of mentors on the dashboard).",
    ),
}
# The report splits the cohort table in two so each fits an A4 page upright.
GROUP_METRICS = (
    "delivery_rate",
    "attendance_rate",
    "core_coverage_rate",
    "two_facilitator_rate",
    "retention_rate",
)
MENTORING_METRICS = (
    "mentoring_hours_per_week",
    "weeks_with_visit_rate",
    "weeks_in_band_rate",
    "practice_completion_rate",
)
STATUS_WORDS = {"scheduled": "Not recorded", "delivered": "Delivered", "cancelled": "Cancelled"}
ATTENDANCE_WORDS = {"present": "Present", "late": "Late", "absent": "Absent", "excused": "Excused"}
SORTS = ("name", "start_date", *service.METRICS)


# Formatting ----------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "No data yet" if value is None else format_value(value * 100, percent=True)


def hours(value: float | None) -> str:
    if value is None:
        return "No data yet"
    text = format_value(value)
    return f"{text} hour{'' if text == '1' else 's'} a week"


def figure(metric: str, value: Any) -> str:
    if metric == HOURS:
        return hours(value)
    if value is None:
        return "No data yet"
    if metric == MONTH_HOURS:
        text = format_value(value)
        return f"{text} hour{'' if text == '1' else 's'} a month"
    if metric == "match_length_median_days":
        text = format_value(value)
        return f"{text} day{'' if text == '1' else 's'}"
    if metric == "early_endings":
        return early_words(value)
    return percent(value)


def early_words(value: Any) -> str:
    """{"total": 3, "by": {"mentor": 2, "carer": 1}} as "3 (mentor: 2, carer: 1)"."""
    if value is None:
        return "No data"
    found = value if isinstance(value, dict) else value.model_dump()
    parts = ", ".join(f"{k.replace('_', ' ')}: {n}" for k, n in found["by"].items())
    return f"{found['total']}" + (f" ({parts})" if parts else "")


def short_figure(metric: str, value: Any) -> str:
    """For table cells: "2.3" hours (the header says hours a week), "92%", or "No data"."""
    if value is None:
        return "No data"
    if metric == "early_endings":
        return early_words(value)
    if metric in (HOURS, MONTH_HOURS, "match_length_median_days"):
        return format_value(value)
    return format_value(value * 100, percent=True)


def comparison(metric: str, value: float | None) -> tuple[str, str] | None:
    """(words, GOV.UK tag colour) comparing a figure with the trials, or None."""
    benchmark = service.BENCHMARKS.get(metric)
    if benchmark is None or value is None:
        return None
    # Compared as shown (92% is 92%, 2.5 hours is 2.5), so the words match the figures.
    shown, published = (
        (round(value, 1), round(benchmark, 1))
        if metric == HOURS
        else (round(value * 100), round(benchmark * 100))
    )
    close = 0.3 if metric == HOURS else 5
    if shown >= published:
        return "At or above the trials", "green"
    if shown >= published - close:
        return "Close to the trials", "yellow"
    return "Below the trials", "red"


def week_label(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def cards(
    metrics: dict[str, Any], which: tuple[str, ...] = service.METRICS
) -> list[dict[str, Any]]:
    out = []
    for metric in which:
        value = metrics.get(metric)
        benchmark = service.BENCHMARKS.get(metric)
        out.append(
            {
                "metric": metric,
                "label": ALL_LABELS[metric],
                "value": figure(metric, value),
                "benchmark": None if benchmark is None else figure(metric, benchmark),
                "comparison": comparison(metric, value),
                "definition": ALL_DEFINITIONS[metric],
            }
        )
    return out
