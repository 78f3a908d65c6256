"""The demo's outcomes: SDQ scores from carers, teachers and the older children themselves,
WHO-5 answers from the children, at baseline and (for a group that has ended) at its end,
and the life events the trials counted, before the first session and since. The story as
data first, then the step app/demo/loader.py runs once per measure (and once for the
events), as of the demo's date.

Believable, not invented at random: looked-after children score high on the SDQ at baseline
(most carer totals 14 to 24, many in the high band); by the end the carers' totals fall by
about three points on average, more for the children who met the dosage threshold, a few
by enough to count as reliable change, one or two rise; a few end assessments are missing
(the lead's overdue list). Every score is checked by app/outcomes/scoring.score before it
is stored, so the demo never holds an impossible one. A measure that is not loaded
(`tandem outcomes load`) is skipped, as the groups are when no curriculum is loaded."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, User
from app.children.models import Child
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus, GroupSession, SessionStatus
from app.demo.story import ENDED_DAYS_AGO, LEAD
from app.exceptions import NotFound
from app.fidelity.service import Scope, child_dosage
from app.outcomes import scoring
from app.outcomes.models import Assessment, EventKind, LifeEvent, Measure, Timepoint
from app.outcomes.schemas import MeasureFile
from app.outcomes.service import get_measure

DAY = dt.timedelta(days=1)
SEED = 20261201

# The story as data ----------------------------------------------------------------------------

SDQ = "sdq"
WHO5 = "who5"
SDQ_DIFFICULTIES = ("emotional", "conduct", "hyperactivity", "peer")
# How a child's difficulties usually spread over the four scales (hyperactivity and conduct
# weigh most for children in care), jittered per child.
SDQ_SPREAD = (0.24, 0.24, 0.32, 0.20)


class Informant(NamedTuple):
    """One informant's SDQ: the baseline total difficulties (mean and SD of a normal draw),
    the change by the end for a child who met the dosage threshold and for one who did not
    (mean, SD), the chance an assessment is there at all (baseline, end), and the youngest
    age (years) they answer for."""

    baseline: tuple[float, float]
    change_met: tuple[float, float]
    change_below: tuple[float, float]
    present: tuple[float, float]
    min_age: int = 0


SDQ_INFORMANTS: Mapping[str, Informant] = {
    "carer": Informant((18.5, 4.0), (-3.8, 3.3), (-1.6, 3.0), (1.0, 1.0)),
    "teacher": Informant((15.0, 4.5), (-2.2, 3.0), (-1.0, 3.0), (0.8, 0.75)),
    # The self-report SDQ is for 11-year-olds and over.
    "self": Informant((15.5, 4.0), (-2.0, 3.0), (-1.0, 3.0), (0.95, 0.85), min_age=11),
}
# The children whose difficulties grew by the end, whatever the dosage: the two whose year
# went worst (a missing episode, a school exclusion). Their carers' totals rise by this.
SDQ_WORSE = {"DEMO-10": 8, "DEMO-21": 9}
# One child a group whose carer has not returned the end SDQ: overdue once the window closes.
SDQ_NO_END = ("DEMO-04", "DEMO-16", "DEMO-24")

# The WHO-5: five items (the measure's own, in its order) answered 0 to 5; a child's usual
# answer (mean, SD) at baseline, and how much higher it sits by the end (met the threshold,
# below it). For children aged 9 and over.
WHO5_LEVEL = (2.6, 0.7)
WHO5_GAIN = (0.5, 0.2)
WHO5_MIN_AGE = 9
WHO5_PRESENT = (0.95, 0.85)


class Before(NamedTuple):
    """An event `days` before the child's first session."""

    days: int


class Since(NamedTuple):
    """An event a `share` of the way from the child's first session to the demo's date."""

    share: float


class DemoEvent(NamedTuple):
    child: str
    kind: EventKind
    when: Before | Since
    note: str


# Grace's move across the city and Tyler's out of the area are the story's own (the match
# that ended, the child withdrawn): the builder dates them from it.
MOVED_ACROSS_THE_CITY = "Moved to a foster home across the city."
MOVED_OUT_OF_AREA = "Moved to a foster placement out of the area."
# fmt: off
LIFE_EVENTS = (
    DemoEvent("DEMO-01", EventKind.placement_move, Before(290), "Moved to a new foster home."),
    DemoEvent("DEMO-03", EventKind.placement_move, Before(330), "Foster placement ended."),
    DemoEvent("DEMO-03", EventKind.residential_placement, Before(150),
              "Moved to a children's home after two foster placements ended."),
    DemoEvent("DEMO-08", EventKind.placement_move, Before(200),
              "Emergency placement, then a longer-term foster home."),
    DemoEvent("DEMO-08", EventKind.placement_move, Before(185),
              "Moved to a long-term foster home."),
    DemoEvent("DEMO-12", EventKind.placement_move, Before(95), "Moved to a new foster home."),
    DemoEvent("DEMO-14", EventKind.placement_move, Before(240), "Moved between children's homes."),
    DemoEvent("DEMO-17", EventKind.placement_move, Before(120), "Moved to a new foster home."),
    DemoEvent("DEMO-20", EventKind.placement_move, Before(60),
              "Moved to a foster home nearer school."),
    DemoEvent("DEMO-23", EventKind.placement_move, Before(310), "Moved to a new foster home."),
    DemoEvent("DEMO-05", EventKind.reunification, Since(0.7),
              "Returned home to live with her mother, with support."),
    DemoEvent("DEMO-21", EventKind.missing_episode, Since(0.5),
              "Missing overnight; found safe and well the next morning."),
    DemoEvent("DEMO-10", EventKind.school_exclusion, Since(0.4),
              "Two-day fixed-term exclusion from school."),
)
# fmt: on


# The step ----------------------------------------------------------------------------------


@dataclass
class _Child:
    """One child of a demo group, and where they stand on the demo's date."""

    child: Child
    cohort: Cohort
    first: dt.date  # their first session
    second: dt.date | None  # their second
    last: dt.date | None  # the group's last session, once it is past
    withdrawn_on: dt.date | None
    met_dosage: bool

    def age_on(self, day: dt.date) -> int:
        born = self.child.date_of_birth
        assert born is not None  # the demo's children are never anonymised
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def build_outcomes(db: Session, *, org_id: int, today: dt.date) -> None:
    """The assessments of each measure that is loaded and that the demo organisation has
    none of yet, then the life events if it has none: nothing twice on a second run."""
    org = db.get(Organisation, org_id)
    lead = db.exec(select(User).where(User.email == LEAD, User.org_id == org_id)).first()
    if org is None or lead is None:
        return
    children = _children(db, org, today)
    if not children:
        return
    for key in (SDQ, WHO5):
        if _has(db, Assessment, org_id, Assessment.measure_key == key):
            continue
        try:
            measure, definition = get_measure(db, key)
        except NotFound:
            continue  # not loaded (yet): `tandem outcomes load`, then `tandem demo` again
        if key == SDQ:
            _sdq(db, org, lead, measure, definition, children, today)
        else:
            _who5(db, org, lead, measure, definition, children, today)
    if not _has(db, LifeEvent, org_id):
        _events(db, org, lead, children, today)


def _has(
    db: Session, table: type[Assessment] | type[LifeEvent], org_id: int, *where: object
) -> bool:
    query = select(table.id).where(table.org_id == org_id, *where)  # type: ignore[arg-type]
    return db.exec(query.limit(1)).first() is not None


def _children(db: Session, org: Organisation, today: dt.date) -> list[_Child]:
    """Every child enrolled in a group that has begun (or begins within the baseline
    window), by reference."""
    org_id = org.id or 0
    cohorts = {c.id: c for c in db.exec(select(Cohort).where(Cohort.org_id == org_id)).all()}
    if not cohorts:
        return []
    live: dict[int, list[dt.date]] = {}
    for s in db.exec(
        select(GroupSession)
        .where(GroupSession.org_id == org_id, col(GroupSession.status) != SessionStatus.cancelled)
        .order_by(col(GroupSession.date))
    ).all():
        live.setdefault(s.cohort_id, []).append(s.date)
    dosage = {
        (d.child_id, d.cohort_id): d
        for d in child_dosage(
            db,
            Scope(
                org_id=org_id,
                as_of=today,
                cohort_ids=None,
                threshold=org.dosage_threshold,
                band=(org.mentoring_hours_min, org.mentoring_hours_max),
            ),
        )
    }
    out = []
    rows = db.exec(
        select(Enrolment, Child)
        .join(Child, col(Child.id) == col(Enrolment.child_id))
        .where(Enrolment.org_id == org_id)
        .order_by(col(Child.reference), col(Enrolment.id))
    ).all()
    for enrolment, child in rows:
        dates = [d for d in live.get(enrolment.cohort_id, []) if d >= enrolment.start_date]
        if not dates:
            continue
        found = dosage.get((child.id or 0, enrolment.cohort_id))
        withdrawn = enrolment.status == EnrolmentStatus.withdrawn
        out.append(
            _Child(
                child=child,
                cohort=cohorts[enrolment.cohort_id],
                first=dates[0],
                second=dates[1] if len(dates) > 1 else None,
                last=dates[-1] if dates[-1] < today else None,
                withdrawn_on=enrolment.end_date if withdrawn else None,
                met_dosage=found is not None and not found.below_threshold,
            )
        )
    return out


def _windows(
    org: Organisation, kid: _Child, today: dt.date
) -> dict[Timepoint, tuple[dt.date, dt.date]]:
    """The windows open by the demo's date (to today at the latest): baseline from the
    weeks before the child's first session to their second; end from the group's last
    session to the weeks after, for a child still in the group when it ended."""
    out = {}
    baseline_from = kid.first - org.outcome_baseline_weeks * 7 * DAY
    baseline_to = min(kid.second or kid.first, today)
    if baseline_from <= baseline_to:
        out[Timepoint.baseline] = (baseline_from, baseline_to)
    if kid.last is not None and kid.withdrawn_on is None:
        out[Timepoint.end] = (kid.last, min(kid.last + org.outcome_end_weeks * 7 * DAY, today))
    return out


def _day_in(window: tuple[dt.date, dt.date], share: float) -> dt.date:
    """The day a `share` (0 to 1) of the way through the window."""
    start, end = window
    return start + round(share * (end - start).days) * DAY


def _add(
    db: Session,
    *,
    org: Organisation,
    lead: User,
    measure: Measure,
    definition: MeasureFile,
    kid: _Child,
    informant: str,
    timepoint: Timepoint,
    on: dt.date,
    scores: Mapping[str, float] | None = None,
    items: Mapping[str, int] | None = None,
) -> None:
    """One assessment, every scale scored (and checked) by app/outcomes/scoring, audited."""
    scored = scoring.score(definition, informant, scores=scores, items=items)
    now = dt.datetime.now(dt.UTC)
    row = Assessment(
        org_id=org.id or 0,
        child_id=kid.child.id or 0,
        measure_key=measure.key,
        measure_version=measure.version,
        informant=informant,
        timepoint=timepoint,
        completed_on=on,
        scores=scored,
        items=dict(items or {}),
        created_by=lead.id,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        org_id=org.id or 0,
        actor=lead,
        action="create",
        entity="assessment",
        entity_id=row.id,
        changes=audit.changes_between(
            {},
            {
                "child_id": row.child_id,
                "measure_key": row.measure_key,
                "measure_version": row.measure_version,
                "informant": informant,
                "timepoint": timepoint.value,
                "completed_on": on.isoformat(),
                "scores": scored,
                "items": row.items,
            },
        ),
    )


def _rng(key: str, kid: _Child, informant: str) -> random.Random:
    """The draws for one child's assessments from one informant, seeded by who they are."""
    return random.Random(f"{SEED}-{key}-{kid.child.reference}-{informant}")  # noqa: S311


def _for_age(definition: MeasureFile, age: int) -> bool:
    return definition.ages is None or definition.ages[0] <= age <= definition.ages[1]


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _spread(rng: random.Random, total: int) -> list[int]:
    """`total` difficulty points over the four scales (each 0 to 10), by this child's mix."""
    weights = [w * rng.uniform(0.6, 1.4) for w in SDQ_SPREAD]
    scores = [0, 0, 0, 0]
    for _ in range(min(total, 40)):
        open_ = [i for i in range(4) if scores[i] < 10]
        scores[rng.choices(open_, [weights[i] for i in open_])[0]] += 1
    return scores


def _shift(rng: random.Random, scores: list[int], change: int) -> list[int]:
    """The baseline's scales moved by `change` points in all, one at a time, down mostly
    where there is most to lose, up anywhere with room."""
    out = list(scores)
    for _ in range(abs(change)):
        if change < 0:
            room = [i for i in range(4) if out[i] > 0]
            if not room:
                break
            out[rng.choices(room, [out[i] for i in room])[0]] -= 1
        else:
            room = [i for i in range(4) if out[i] < 10]
            if not room:
                break
            out[rng.choice(room)] += 1
    return out


def _sdq(
    db: Session,
    org: Organisation,
    lead: User,
    measure: Measure,
    definition: MeasureFile,
    children: list[_Child],
    today: dt.date,
) -> None:
    """Baseline and end SDQ scores from each informant the measure knows; the end's
    difficulties fall from the baseline's (or rise, for SDQ_WORSE's children)."""
    for kid in children:
        windows = _windows(org, kid, today)
        for informant, story in SDQ_INFORMANTS.items():
            # Each child's and informant's own draws, every one made whether or not it is
            # used: their scores depend on nobody else's, nor on which windows are open.
            rng = _rng(SDQ, kid, informant)
            total = _clamp(rng.gauss(*story.baseline), 4, 36)
            prosocial = _clamp(rng.gauss(6.2, 1.8), 1, 10)
            mean, sd = story.change_met if kid.met_dosage else story.change_below
            change = round(rng.gauss(mean, sd))
            if informant == "carer" and kid.child.reference in SDQ_WORSE:
                change = SDQ_WORSE[kid.child.reference]
            prosocial_after = _clamp(prosocial + rng.choice((-1, 0, 0, 1, 1)), 0, 10)
            present = [rng.random() < p for p in story.present]
            if informant == "carer" and kid.child.reference in SDQ_NO_END:
                present[1] = False
            days = [rng.random(), rng.random()]
            before = _spread(rng, total)  # last: they draw once a point
            after = _shift(rng, before, change)
            if informant not in definition.informants:
                continue
            age = kid.age_on(kid.first)
            if age < story.min_age or not _for_age(definition, age):
                continue
            for n, (timepoint, scales, pro) in enumerate(
                ((Timepoint.baseline, before, prosocial), (Timepoint.end, after, prosocial_after))
            ):
                window = windows.get(timepoint)
                if window is None or not present[n] or timepoint not in definition.timepoints:
                    continue
                on = _day_in(window, days[n])
                _add(
                    db,
                    org=org,
                    lead=lead,
                    measure=measure,
                    definition=definition,
                    kid=kid,
                    informant=informant,
                    timepoint=timepoint,
                    on=on,
                    scores={
                        **dict(zip(SDQ_DIFFICULTIES, map(float, scales), strict=True)),
                        "prosocial": float(pro),
                    },
                )


def _who5(
    db: Session,
    org: Organisation,
    lead: User,
    measure: Measure,
    definition: MeasureFile,
    children: list[_Child],
    today: dt.date,
) -> None:
    """The children's own WHO-5, item by item, at baseline and end (aged 9 and over)."""
    informant = "self" if "self" in definition.informants else next(iter(definition.informants))
    questions = definition.items
    answer = definition.item_scale
    low, high = (0, 5) if answer is None else (answer.min, answer.max)
    for kid in children:
        windows = _windows(org, kid, today)
        rng = _rng(WHO5, kid, informant)
        level = rng.gauss(*WHO5_LEVEL)
        gain = WHO5_GAIN[0] if kid.met_dosage else WHO5_GAIN[1]
        answers = [
            {item.key: _clamp(level + shift + rng.gauss(0, 0.7), low, high) for item in questions}
            for shift in (0.0, gain)
        ]
        present = [rng.random() < p for p in WHO5_PRESENT]
        days = [rng.random(), rng.random()]
        age = kid.age_on(kid.first)
        if age < WHO5_MIN_AGE or not _for_age(definition, age):
            continue
        for n, timepoint in enumerate((Timepoint.baseline, Timepoint.end)):
            window = windows.get(timepoint)
            if window is None or not present[n] or timepoint not in definition.timepoints:
                continue
            _add(
                db,
                org=org,
                lead=lead,
                measure=measure,
                definition=definition,
                kid=kid,
                informant=informant,
                timepoint=timepoint,
                on=_day_in(window, days[n]),
                items=answers[n],
            )


def _events(
    db: Session, org: Organisation, lead: User, children: list[_Child], today: dt.date
) -> None:
    """LIFE_EVENTS, and the story's two moves: Grace's, days before her match ended, and
    Tyler's, the day he left the group. An event not yet past on the demo's date is left
    out (an event in the future is not a record)."""
    kids = {kid.child.reference: kid for kid in children}
    planned: list[tuple[_Child, EventKind, dt.date, str]] = []
    for event in LIFE_EVENTS:
        kid = kids.get(event.child)
        if kid is None:
            continue
        if isinstance(event.when, Before):
            day = kid.first - event.when.days * DAY
        else:
            day = kid.first + round(event.when.share * (today - kid.first).days) * DAY
        planned.append((kid, event.kind, day, event.note))
    grace, tyler = kids.get("DEMO-07"), kids.get("DEMO-18")
    moved = today - (ENDED_DAYS_AGO + 4) * DAY
    if grace is not None and moved > grace.first:
        planned.append((grace, EventKind.placement_move, moved, MOVED_ACROSS_THE_CITY))
    if tyler is not None and tyler.withdrawn_on is not None:
        planned.append((tyler, EventKind.placement_move, tyler.withdrawn_on, MOVED_OUT_OF_AREA))
    for kid, kind, day, note in sorted(planned, key=lambda p: (p[2], p[0].child.reference)):
        since = day >= kid.first
        if day >= today or (since and today <= kid.first):
            continue
        row = LifeEvent(
            org_id=org.id or 0,
            child_id=kid.child.id or 0,
            kind=kind,
            date=day,
            note=note,
            created_by=lead.id,
            created_at=dt.datetime.now(dt.UTC),
        )
        db.add(row)
        db.flush()
        audit.record(
            db,
            org_id=org.id or 0,
            actor=lead,
            action="create",
            entity="life_event",
            entity_id=row.id,
            changes=audit.changes_between(
                {},
                {
                    "child_id": row.child_id,
                    "kind": kind.value,
                    "date": day.isoformat(),
                    "note": note,
                },
            ),
        )
