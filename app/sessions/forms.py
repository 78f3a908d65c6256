"""The session page's forms: the register (one row per child expected, one per activity,
the facilitators present, the checklist and notes) and an observation.

The register's fields depend on the session, so its form is built for each one
(`register_form`). It starts from what is stored and nothing else: no child is assumed
present and no activity delivered, and every missing answer is named at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import Field, create_model

from app.auth.models import User
from app.forms import Choice, Form, Msg, OptionalText, PageVersion, WholeNumber
from app.sessions.models import AttendanceStatus, CoverageStatus
from app.sessions.schemas import AttendanceIn, CoverageIn, ObservationIn, RecordIn
from app.sessions.service import Register

NO_FACILITATOR = "Tick at least one facilitator who ran the session"


@dataclass(frozen=True)
class Shape:
    """Whose rows the register has: children and activities, facilitators, checklist."""

    children: tuple[int, ...] = ()
    activities: tuple[int, ...] = ()
    facilitators: tuple[int, ...] = ()
    checklist: tuple[str, ...] = ()


class RegisterForm(Form):
    """What every session's register shares; `register_form` adds its rows."""

    shape: ClassVar[Shape] = Shape()

    version: PageVersion

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        ticked = [f for f in cls.shape.facilitators if values.get(f"facilitator-{f}")]
        if cls.shape.facilitators and not ticked:
            yield f"facilitator-{cls.shape.facilitators[0]}", NO_FACILITATOR

    @classmethod
    def stored(cls, register: Register, actor: User) -> dict[str, Any]:
        """The register's values from what is stored, and nothing else: an unrecorded
        register starts empty. The one box ticked before a first save is the person saving,
        among the facilitators present, when they facilitate the cohort."""
        stored = register.stored
        if stored.record is not None:
            present = set(stored.facilitators)
        else:
            mine = any(f.id == actor.id for f in register.facilitators)
            present = {actor.id or 0} if mine else set()
        ticked = stored.record.checklist if stored.record else {}
        typed: dict[str, Any] = {"notes": stored.record.notes if stored.record else None}
        for child in cls.shape.children:
            status, note = stored.attendance.get(child, (None, None))
            typed[f"attendance-{child}"], typed[f"attendance-{child}-note"] = status, note
        for activity in cls.shape.activities:
            status, note = stored.coverage.get(activity, (None, None))
            typed[f"coverage-{activity}"], typed[f"coverage-{activity}-note"] = status, note
        for facilitator in cls.shape.facilitators:
            typed[f"facilitator-{facilitator}"] = "yes" if facilitator in present else None
        for i, item in enumerate(cls.shape.checklist):
            typed[f"check-{i}"] = "yes" if ticked.get(item) else None
        return cls.initial(**typed)

    @classmethod
    def everyone_present(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The shortcut: every unanswered row of the register marked present (it saves
        nothing)."""
        return {
            **values,
            **{
                f"attendance-{c}": "present"
                for c in cls.shape.children
                if not values.get(f"attendance-{c}")
            },
        }

    def _answer(self, name: str) -> Any:
        return getattr(self, name)

    def to_record(self) -> RecordIn:
        """The API's record: a child left unanswered (who joined after the save) is left
        out; every item of the checklist is sent, ticked or not."""
        return RecordIn(
            version=self.version,
            facilitators_present=sorted(
                f for f in self.shape.facilitators if self._answer(f"facilitator-{f}")
            ),
            attendance=[
                AttendanceIn(
                    child_id=c,
                    status=self._answer(f"attendance-{c}"),
                    note=self._answer(f"attendance-{c}-note"),
                )
                for c in self.shape.children
                if self._answer(f"attendance-{c}") is not None
            ],
            coverage=[
                CoverageIn(
                    activity_id=a,
                    status=self._answer(f"coverage-{a}"),
                    note=self._answer(f"coverage-{a}-note"),
                )
                for a in self.shape.activities
            ],
            notes=self._answer("notes"),
            checklist={
                item: bool(self._answer(f"check-{i}"))
                for i, item in enumerate(self.shape.checklist)
            },
        )


def register_form(register: Register, checklist: Sequence[str]) -> type[RegisterForm]:
    """The register of one session, its fields in page order."""
    fields: dict[str, Any] = {}
    for child in register.children:
        said = f"Choose whether {child.first_name} was there"
        kind: Any = Choice[AttendanceStatus]
        # A child who joined after the register was saved may stay unanswered: nobody
        # knows yet whether they were there, and nothing is assumed.
        optional = child.id in register.joined_later
        fields[f"attendance-{child.id}"] = (
            Annotated[
                kind | None if optional else kind,
                Msg(empty=said, invalid=said),
                Field(title=child.first_name),
            ],
            None if optional else ...,
        )
        fields[f"attendance-{child.id}-note"] = (
            Annotated[OptionalText, Field(title=f"Note about {child.first_name}", max_length=500)],
            None,
        )
    for activity in register.lesson.activities:
        said = f"Choose how much of '{activity.title}' was delivered"
        fields[f"coverage-{activity.id}"] = (
            Annotated[
                Choice[CoverageStatus], Msg(empty=said, invalid=said), Field(title=activity.title)
            ],
            ...,
        )
        fields[f"coverage-{activity.id}-note"] = (
            Annotated[OptionalText, Field(title=f"Note about '{activity.title}'", max_length=500)],
            None,
        )
    for facilitator in register.facilitators:
        fields[f"facilitator-{facilitator.id}"] = (
            Annotated[OptionalText, Field(title=facilitator.name)],
            None,
        )
    for i, item in enumerate(checklist):
        fields[f"check-{i}"] = (Annotated[OptionalText, Field(title=item)], None)
    fields["notes"] = (Annotated[OptionalText, Field(title="Notes", max_length=4000)], None)
    form = create_model("SessionRegisterForm", __base__=RegisterForm, **fields)
    form.shape = Shape(
        children=tuple(c.id for c in register.children),
        activities=tuple(a.id or 0 for a in register.lesson.activities),
        facilitators=tuple(f.id or 0 for f in register.facilitators),
        checklist=tuple(checklist),
    )
    return form


def answers_that_differ(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> set[str]:
    """The register's answers (attendance, coverage) where a stale save and the winner's
    disagree."""
    return {
        name
        for name, value in theirs.items()
        if name.startswith(("attendance-", "coverage-"))
        and not name.endswith("-note")
        and mine.get(name, "") != value
    }


ADHERENCE = "Choose a score from 1 to 5 for adherence to the lesson plan"
QUALITY = "Choose a score from 1 to 5 for the quality of delivery"


class ObservationForm(Form):
    adherence: Annotated[
        WholeNumber, Msg(empty=ADHERENCE, invalid=ADHERENCE), Field(title="Adherence", ge=1, le=5)
    ]
    quality: Annotated[
        WholeNumber, Msg(empty=QUALITY, invalid=QUALITY), Field(title="Quality", ge=1, le=5)
    ]
    comments: Annotated[OptionalText, Field(title="Comments", max_length=2000)] = None

    def to_observation(self) -> ObservationIn:
        return ObservationIn(adherence=self.adherence, quality=self.quality, comments=self.comments)
