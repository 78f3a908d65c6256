"""A programme's settings in words, as its pages show them: "2 to 4 hours a week"."""

from __future__ import annotations

from app.programmes.models import BandPer, Programme, ProgrammeKind

KIND_WORDS: dict[ProgrammeKind, str] = {
    ProgrammeKind.group_and_mentoring: "Skills group with mentoring",
    ProgrammeKind.mentoring_only: "Mentoring only",
    ProgrammeKind.befriending: "Befriending",
    ProgrammeKind.independent_visitor: "Independent Visitor",
}

NO_UPPER_LIMIT = 200.0
"""The most hours a band may hold (the schema's bound): a band up to it has no upper limit,
"at least 1 hour a month"."""


def hours(value: float) -> str:
    n = f"{value:g}"
    return f"{n} hour" if value == 1 else f"{n} hours"


def band_words(per: BandPer | str, min_hours: float, max_hours: float) -> str:
    period = f"a {BandPer(per).value}"
    if max_hours >= NO_UPPER_LIMIT:
        return f"at least {hours(min_hours)} {period}"
    if min_hours == 0:
        return f"up to {hours(max_hours)} {period}"
    if min_hours == max_hours:
        return f"{hours(min_hours)} {period}"
    return f"{min_hours:g}\u2013{hours(max_hours)} {period}"


def ages_words(age_min: int, age_max: int) -> str:
    return f"{age_min} to {age_max}" if age_min != age_max else f"{age_min}"


def length_words(months: int | None) -> str:
    if months is None:
        return "open-ended"
    return "1 month" if months == 1 else f"{months} months"


def describe(p: Programme) -> dict[str, str]:
    """The list's cells for one programme."""
    return {
        "kind": KIND_WORDS[ProgrammeKind(p.kind)],
        "band": band_words(p.band_per, p.band_min_hours, p.band_max_hours),
        "ages": ages_words(p.age_min, p.age_max),
        "caseload": f"{p.caseload_max} active match{'es' if p.caseload_max != 1 else ''}",
        "length": length_words(p.match_length_months),
    }
