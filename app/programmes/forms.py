"""The programme pages' forms: setting one up, and changing its settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from app.forms import (
    Choice,
    Form,
    Msg,
    OptionalWholeNumber,
    PageVersion,
    Text,
    WholeNumber,
)
from app.programmes.models import BandPer, Programme, ProgrammeKind
from app.programmes.schemas import ProgrammeCreate, ProgrammeUpdate, VisitBand
from app.programmes.words import NO_UPPER_LIMIT

MAX_ID = 2**31 - 1


def _hours(value: object) -> object:
    """Hours as people type them: 2, 1.5, 1,5 or "2 hours"."""
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("hours").removesuffix("hour").strip()
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return value
    return value


Hours = Annotated[float, BeforeValidator(_hours)]
# Optional outside the number, so Field(ge=, le=) bounds the number and a blank stays None.
OptionalHours = Hours | None

HOURS_MSG = "Enter a number of hours from 0 to 200, like 2 or 1.5"


class _Settings(Form):
    """The fields both forms share, in page order after the name (and the kind)."""

    curriculum_id: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Choose a curriculum from the list"),
        Field(title="Curriculum", ge=1, le=MAX_ID),
    ] = None
    caseload_max: Annotated[
        WholeNumber,
        Msg(empty="Enter the most matches one mentor may have in this programme"),
        Field(title="Most matches for one mentor", ge=1, le=10),
    ]
    band_per: Annotated[
        Choice[BandPer],
        Msg(empty="Choose whether visits are counted by the week or by the month"),
        Field(title="Visits counted"),
    ]
    band_min_hours: Annotated[
        Hours,
        Msg(empty="Enter the fewest hours of visits", invalid=HOURS_MSG),
        Field(title="Fewest hours", ge=0, le=NO_UPPER_LIMIT),
    ]
    band_max_hours: Annotated[
        OptionalHours,
        Msg(invalid=HOURS_MSG),
        Field(title="Most hours", ge=0, le=NO_UPPER_LIMIT),
    ] = None
    age_min: Annotated[
        WholeNumber,
        Msg(empty="Enter the youngest age"),
        Field(title="Youngest age", ge=0, le=25),
    ]
    age_max: Annotated[
        WholeNumber,
        Msg(empty="Enter the oldest age"),
        Field(title="Oldest age", ge=0, le=25),
    ]
    match_length_months: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Enter the expected length as a whole number of months from 1 to 240"),
        Field(title="Expected length of a match in months", ge=1, le=240),
    ] = None

    @property
    def top_hours(self) -> float:
        """A blank "most hours" is no upper limit."""
        return NO_UPPER_LIMIT if self.band_max_hours is None else self.band_max_hours

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.band_min_hours > self.top_hours:
            yield (
                "band_max_hours",
                f"The most hours ({self.top_hours:g}) must not be below the fewest "
                f"({self.band_min_hours:g})",
            )
        elif self.top_hours == 0:
            yield "band_max_hours", "The most hours must be above 0"
        if self.age_min > self.age_max:
            yield (
                "age_max",
                f"The oldest age ({self.age_max}) must not be below the youngest ({self.age_min})",
            )

    def _settings(self) -> dict[str, Any]:
        return {
            "curriculum_id": self.curriculum_id,
            "caseload_max": self.caseload_max,
            "visit_band": VisitBand(
                per=self.band_per, min_hours=self.band_min_hours, max_hours=self.top_hours
            ),
            "age_min": self.age_min,
            "age_max": self.age_max,
            "match_length_months": self.match_length_months,
        }


class ProgrammeForm(_Settings):
    name: Annotated[
        Text, Msg(empty="Enter a name for the programme"), Field(title="Name", max_length=120)
    ]
    kind: Annotated[
        Choice[ProgrammeKind],
        Msg(empty="Choose the kind of programme"),
        Field(title="Kind of programme"),
    ]

    @classmethod
    def field_order(cls) -> list[str]:
        return ["name", "kind", *_Settings.model_fields]

    def to_create(self) -> ProgrammeCreate:
        return ProgrammeCreate(name=self.name, kind=self.kind, **self._settings())


class ProgrammeEditForm(_Settings):
    """Every setting but the kind: a programme keeps the kind it was set up with."""

    version: PageVersion
    name: Annotated[
        Text, Msg(empty="Enter a name for the programme"), Field(title="Name", max_length=120)
    ]

    @classmethod
    def field_order(cls) -> list[str]:
        return ["version", "name", *_Settings.model_fields]

    def to_update(self) -> ProgrammeUpdate:
        # Every field is sent, a blank curriculum or length too: the form shows them all.
        return ProgrammeUpdate(version=self.version, name=self.name, **self._settings())


RENAME = {"visit_band": "band_max_hours"}


def stored(p: Programme) -> dict[str, Any]:
    """The edit form's values from what is stored."""
    return ProgrammeEditForm.initial(
        version=p.version,
        name=p.name,
        curriculum_id=p.curriculum_id,
        caseload_max=p.caseload_max,
        band_per=p.band_per,
        band_min_hours=f"{p.band_min_hours:g}",
        band_max_hours=None if p.band_max_hours >= NO_UPPER_LIMIT else f"{p.band_max_hours:g}",
        age_min=p.age_min,
        age_max=p.age_max,
        match_length_months=p.match_length_months,
    )
