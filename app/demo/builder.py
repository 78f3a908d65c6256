"""One builder for every wave of the demo (app/demo/story.py): its cohorts and children,
then its mentors and their checks, matches, the groups' past sessions recorded, visits
planned and recorded, the lead's check-ins and the endings. Everything goes through the
services (so every rule and the audit trail apply), drawn from the wave's fixed seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.auth.models import Organisation, User
from app.children.models import Child
from app.children.schemas import ChildCreate
from app.children.service import create_child
from app.cohorts.enrolments import enrol, withdraw
from app.cohorts.models import Closure, Cohort, Enrolment, GroupSession, SessionStatus
from app.cohorts.rescheduling import cancel_session, create_closure
from app.cohorts.schemas import ClosureCreate, CohortCreate, EnrolmentCreate
from app.cohorts.service import closed_days, create_cohort
from app.curriculum.models import PracticeTask
from app.demo.story import (
    CONCERN_NOTE,
    DEMO_USERS,
    ENDED_DAYS_AGO,
    ENDED_EARLY,
    ENDED_EARLY_DAYS_AGO,
    ENDING,
    IV_AGES,
    IV_BAND_HOURS,
    IV_CALLED_OFF,
    IV_CANCELLED,
    IV_CASELOAD,
    IV_CHECK_IN_NOTE,
    IV_CHILDREN,
    IV_MATCH_MONTHS,
    IV_MATCHES,
    IV_MENTORS,
    IV_MISSED,
    IV_MISSED_NOTES,
    IV_PROGRAMME,
    IV_SEED,
    IV_VISIT_NOTES,
    LEAD,
    LOW_DOSAGE,
    MISSED_NOTES,
    MISSED_ONCE_NOTE,
    OFF_SICK_NOTE,
    VISIT_NOTES,
    Chance,
    DemoCohort,
    DemoMatch,
    DemoMentor,
    DemoVisitor,
    Draw,
    Story,
    Wave,
    Weighted,
)
from app.mentoring.matching import service as matching
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.mentoring.profiles import service as profiles
from app.mentoring.schemas import (
    CheckInCreate,
    MatchCreate,
    MatchEnd,
    MentorCreate,
    VisitCreate,
    VisitPlanIn,
    VisitUpdate,
)
from app.mentoring.shared import add_months, add_years
from app.mentoring.visits import planning
from app.mentoring.visits import service as visits
from app.programmes import service as programmes
from app.programmes.models import Programme, ProgrammeKind
from app.programmes.schemas import ProgrammeCreate
from app.sessions import recording
from app.sessions import service as sessions
from app.sessions.models import AssignmentStatus, PracticeAssignment
from app.sessions.schemas import RecordIn

DAY = dt.timedelta(days=1)
LONDON = ZoneInfo("Europe/London")


def _morning_of(day: dt.date) -> dt.datetime:
    """The start of a day in London: the demo plans visits from today's first hour."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=LONDON)


def _evening_of(day: dt.date) -> dt.datetime:
    """The end of a day in London: the demo records only sessions dated before today."""
    return dt.datetime.combine(day, dt.time(23, 0), tzinfo=LONDON)


def _school_year(today: dt.date) -> int:
    """The calendar year this school year began in (September)."""
    return today.year if today.month >= 9 else today.year - 1


def _first_date(group: DemoCohort, today: dt.date) -> dt.date:
    """The group's weekday on or after its (month, day), whichever school year this is."""
    first = dt.date(_school_year(today), *group.first)
    return first + (group.weekday - first.weekday()) % 7 * DAY


def _sessions_of(db: Session, cohort: Cohort) -> list[GroupSession]:
    return list(
        db.exec(
            select(GroupSession)
            .where(GroupSession.cohort_id == cohort.id)
            .order_by(col(GroupSession.date), col(GroupSession.id))
        ).all()
    )


def _draw(rng: random.Random, draw: Draw) -> str:
    if isinstance(draw, Weighted):
        return rng.choices(draw.outcomes, draw.weights)[0]
    if isinstance(draw, Chance):
        return draw.yes if rng.random() < draw.p else draw.no
    return draw


# The cohorts -------------------------------------------------------------------------------


def build_cohorts(
    db: Session, *, org_id: int, lead: User, curriculum_id: int, wave: Wave, today: dt.date
) -> list[Cohort]:
    """The wave's cohorts (after the closure they are planned around), each with its
    children enrolled from its first date; then the session cancelled and the child
    withdrawn since."""
    users = {u.email: u for u in db.exec(select(User).where(User.org_id == org_id)).all()}
    year = _school_year(today)
    if wave.closure is not None:
        reason, (month, day), (end_month, end_day) = wave.closure
        if not db.exec(
            select(Closure.id).where(Closure.org_id == org_id, Closure.reason == reason)
        ).first():
            create_closure(
                db,
                actor=lead,
                data=ClosureCreate(
                    date=dt.date(year, month, day),
                    end_date=dt.date(year, end_month, end_day),
                    reason=reason,
                ),
            )

    cohorts: dict[str, Cohort] = {}
    enrolments: dict[str, Enrolment] = {}
    for group in wave.cohorts:
        first = _first_date(group, today)
        cohort = cohorts[group.name] = create_cohort(
            db,
            actor=lead,
            data=CohortCreate(
                name=group.name,
                curriculum_id=curriculum_id,
                start_date=first,
                start_time=dt.time.fromisoformat(group.start),
                venue=group.venue,
                facilitator_ids=[users[email].id or 0 for email in group.facilitators],
            ),
        )
        for kid in group.children:
            child = create_child(
                db,
                actor=lead,
                today=today,
                data=ChildCreate.model_validate(
                    {
                        "reference": kid.reference,
                        "first_name": kid.first_name,
                        # Aged 9 to 11 on the first date, whichever school year this is.
                        "date_of_birth": add_months(first, -kid.months),
                        "placement_type": kid.placement,
                        "gender": kid.gender,
                        "ethnicity": kid.ethnicity,
                        "ethnicity_other": kid.ethnicity_other,
                        "languages": kid.languages,
                        "interests": kid.interests,
                        "preferences": kid.preferences,
                        "consent_given_by": "Social worker",
                        "consent_given_on": min(first - 14 * DAY, today),
                    }
                ),
            )
            enrolments[kid.reference] = enrol(
                db,
                actor=lead,
                cohort_id=cohort.id or 0,
                today=today,
                data=EnrolmentCreate(
                    child_id=child.id or 0, start_date=first, eligibility_override=None
                ),
            )

    if wave.cancelled is not None:
        name, week, reason = wave.cancelled
        cancelled = next(s for s in _sessions_of(db, cohorts[name]) if s.week == week)
        cancel_session(
            db,
            actor=lead,
            session_id=cancelled.id or 0,
            version=cancelled.version,
            reason=reason,
        )
    if wave.withdrawn is not None:
        ref, week, reason = wave.withdrawn
        group = next(g for g in wave.cohorts if any(k.reference == ref for k in g.children))
        after = next(s for s in _sessions_of(db, cohorts[group.name]) if s.week == week)
        if after.date < today:
            withdraw(
                db,
                actor=lead,
                enrolment_id=enrolments[ref].id or 0,
                date=after.date + DAY,
                reason=reason,
            )
    return list(cohorts.values())


# Their mentoring ---------------------------------------------------------------------------


@dataclass
class _Mentoring:
    """What the steps of one wave's mentoring share."""

    db: Session
    wave: Wave
    org: Organisation
    today: dt.date
    rng: random.Random
    users: dict[str, User]
    kids: dict[str, Child]
    cohort_of: dict[str, Cohort]  # each child's cohort, by reference
    sessions: dict[int, list[GroupSession]]  # each cohort's sessions, by date, by cohort id


def build_mentoring(
    db: Session, *, org_id: int, wave: Wave, cohorts: Sequence[Cohort], today: dt.date
) -> None:
    """The wave's mentors and their checks, matches, the groups' past sessions recorded,
    visits recorded and planned, the lead's check-ins and the endings. `cohorts` are the
    wave's, in its order."""
    org = db.get(Organisation, org_id)
    assert org is not None
    kids = {c.reference: c for c in db.exec(select(Child).where(Child.org_id == org_id)).all()}
    built = _Mentoring(
        db=db,
        wave=wave,
        org=org,
        today=today,
        rng=random.Random(wave.seed),  # noqa: S311 (reproducible demo data, not a secret)
        users={u.email: u for u in db.exec(select(User).where(User.org_id == org_id)).all()},
        kids=kids,
        cohort_of={
            kid.reference: cohort
            for group, cohort in zip(wave.cohorts, cohorts, strict=True)
            for kid in group.children
        },
        sessions={cohort.id or 0: _sessions_of(db, cohort) for cohort in cohorts},
    )
    _profiles(built)
    matches = _matches(built)
    _records(built, cohorts)
    tasks = {  # the titles of the practice tasks the sessions gave out
        t.id or 0: t.title
        for t in db.exec(
            select(PracticeTask).where(
                col(PracticeTask.id).in_(
                    select(PracticeAssignment.task_id).where(PracticeAssignment.org_id == org_id)
                )
            )
        ).all()
    }
    for pair in wave.matches:
        _visits(built, pair, matches[pair.child], tasks)
    _follow_up(built, matches)


def _profiles(built: _Mentoring) -> None:
    _create_profiles(
        built.db, org=built.org, users=built.users, mentors=built.wave.mentors, today=built.today
    )


def _create_profiles(
    db: Session,
    *,
    org: Organisation,
    users: dict[str, User],
    mentors: Sequence[DemoMentor],
    today: dt.date,
) -> None:
    """Each mentor's profile: who they are, and their checks (interviewed three weeks
    before the DBS check)."""
    lead = users[LEAD]
    for mentor in mentors:
        if mentor.checked is None:
            checked = add_years(today, -org.dbs_renewal_years) + 40 * DAY
        else:
            checked = today - mentor.checked * DAY
        trained = checked if mentor.trained is None else today - mentor.trained * DAY
        profiles.create_profile(
            db,
            actor=lead,
            today=today,
            data=MentorCreate(
                user_id=users[mentor.email].id or 0,
                dbs_checked_on=checked,
                gender=mentor.gender,
                ethnicity=mentor.ethnicity,
                ethnicity_other=mentor.ethnicity_other,
                languages=mentor.languages,
                interests=mentor.interests,
                care_experience=mentor.care_experience,
                availability=mentor.availability,
                about=mentor.about,
                barred_list_checked=True,
                references_checked=mentor.references,
                interviewed_on=checked - 21 * DAY,
                training_completed_on=trained,
            ),
        )


def _matches(built: _Mentoring) -> dict[str, Match]:
    """Matches from the group's second or third week (or today, before the group starts)."""
    today = built.today
    matches = {}
    for n, pair in enumerate(built.wave.matches):
        start = built.cohort_of[pair.child].start_date + (8 + 7 * (n % 2)) * DAY
        if pair.story == Story.recent:
            start = max(start, today - 20 * DAY)
        start = min(max(start, today - 300 * DAY), today)
        matches[pair.child] = matching.create_match(
            built.db,
            actor=built.users[LEAD],
            today=today,
            data=MatchCreate(
                child_id=built.kids[pair.child].id or 0,
                mentor_id=built.users[pair.mentor].id or 0,
                start_date=start,
                chosen_by_young_person=pair.chosen,
            ),
        )
    return matches


def _records(built: _Mentoring, cohorts: Sequence[Cohort]) -> None:
    """The groups' past sessions, recorded by their facilitators as they would be: the
    register of the children expected, the activities covered, the checklist done."""
    db, wave, today, rng = built.db, built.wave, built.today, built.rng
    groups = list(zip(wave.cohorts, cohorts, strict=True))
    unrecorded = None
    for group, cohort in groups:
        if group.name == wave.unrecorded:
            waiting = [
                s
                for s in built.sessions[cohort.id or 0]
                if s.status == SessionStatus.scheduled and s.date < today - 2 * DAY
            ]
            unrecorded = waiting[-1].id if waiting else None
    for group, cohort in groups:
        facilitators = [built.users[email] for email in group.facilitators]
        past = [
            s
            for s in built.sessions[cohort.id or 0]
            if s.status == SessionStatus.scheduled and s.date < today and s.id != unrecorded
        ]
        for i, session in enumerate(past):
            lesson = sessions.lesson_of(db, session, cohort)
            attendance = []
            for child in sessions.expected_children(db, session):
                status = _draw(rng, wave.attendance)
                if child.reference == wave.low_dosage:
                    status = _draw(rng, LOW_DOSAGE)
                elif (i, child.reference) in wave.marks:
                    status = wave.marks[i, child.reference]
                elif (i - len(past), child.reference) in wave.marks:
                    status = wave.marks[i - len(past), child.reference]
                attendance.append({"child_id": child.id, "status": status})
            core, other = wave.coverage
            coverage = [
                {"activity_id": a.id, "status": _draw(rng, core if a.core else other)}
                for a in lesson.activities
            ]
            note, every, first = wave.note
            present = facilitators[:1] if i == wave.alone else facilitators
            recording.record_session(
                db,
                actor=facilitators[0],
                session_id=session.id or 0,
                now=_evening_of(today),
                payload=RecordIn.model_validate(
                    {
                        "version": session.version,
                        "facilitators_present": [f.id for f in present],
                        "attendance": attendance,
                        "coverage": coverage,
                        "notes": note if i % every == first else None,
                        "checklist": dict.fromkeys(built.org.session_checklist, True),
                    }
                ),
            )


def _visit_days(built: _Mentoring, pair: DemoMatch, match: Match) -> list[dt.date]:
    """The match's weekly visit days so far (until the day before it ended), left out
    when the group is closed, or only on bank holidays for the waves whose mentors carry
    on through the group's closures."""
    today = built.today
    closed = closed_days(built.db, org=built.org, cohort_id=built.cohort_of[pair.child].id)
    ends = pair.story == Story.ends
    until = max(today - ((ENDED_DAYS_AGO + 1) if ends else 1) * DAY, match.start_date)
    days = []
    week = match.start_date - match.start_date.weekday() * DAY
    while week <= until:
        visit_day = week + (pair.weekday - 1) * DAY
        week += 7 * DAY
        if not match.start_date <= visit_day <= until < today:
            continue
        if (visit_day in closed) if built.wave.closures_stop_visits else closed.reason(visit_day):
            continue
        days.append(visit_day)
    return days


def _visits(built: _Mentoring, pair: DemoMatch, match: Match, tasks: dict[int, str]) -> None:
    """The match's weekly visits so far, with the practice tasks worked on: a few missed,
    and the match's own story (a missed week, a mentor off sick, a concern raised)."""
    db, wave, today, rng = built.db, built.wave, built.today, built.rng
    mentor, child = built.users[pair.mentor], built.kids[pair.child]
    dates = {s.id: s.date for rows in built.sessions.values() for s in rows}
    monday = today - today.weekday() * DAY
    own = sorted(
        db.exec(select(PracticeAssignment).where(PracticeAssignment.child_id == child.id)).all(),
        key=lambda a: (dates[a.session_id], a.id),
    )
    state = {a.id: a.status for a in own}
    days = _visit_days(built, pair, match)
    last_done = max((d for d in days if d < monday), default=None)

    def visit(**data: Any) -> None:
        visits.create_visit(
            db,
            actor=mentor,
            now=_evening_of(today),
            data=VisitCreate(
                match_id=match.id or 0, start_time=dt.time.fromisoformat(pair.start), **data
            ),
        )

    for visit_day in days:
        if pair.story == Story.off_sick and monday - 14 * DAY <= visit_day:
            visit(
                date=visit_day,
                duration_minutes=pair.minutes,
                status=VisitStatus.cancelled,
                summary=OFF_SICK_NOTE,
            )
            continue
        if pair.story == Story.missed and visit_day + 14 * DAY >= monday > visit_day + 7 * DAY:
            visit(
                date=visit_day,
                duration_minutes=pair.minutes,
                status=VisitStatus.missed,
                summary=MISSED_ONCE_NOTE.format(name=child.first_name),
            )
            continue
        concern = pair.story == Story.concern and visit_day == last_done
        if not concern and wave.missed is not None and rng.random() < wave.missed:
            visit(
                date=visit_day,
                duration_minutes=pair.minutes,
                status=VisitStatus.missed,
                summary=rng.choice(MISSED_NOTES).format(name=child.first_name),
            )
            continue
        due = [a for a in own if dates[a.session_id] < visit_day]
        latest = max((dates[a.session_id] for a in due), default=None)
        practised = [
            a.id or 0
            for a in due
            if dates[a.session_id] == latest and state[a.id] == AssignmentStatus.open
        ]
        completed = [
            a.id or 0
            for a in due
            if dates[a.session_id] != latest
            and state[a.id] != AssignmentStatus.completed
            and rng.random() < 0.85
        ][: wave.catch_up]  # a match that starts late catches up on the earliest ones first
        for a in practised:
            state[a] = AssignmentStatus.practised
        for a in completed:
            state[a] = AssignmentStatus.completed
        worked = [a for a in own if a.id in (practised or completed)]
        task = f"“{tasks[worked[0].task_id]}”" if worked else "what they want to work on"
        visit(
            date=visit_day,
            duration_minutes=pair.minutes + rng.choice((-30, 0, 0, 0, 30)),
            status=VisitStatus.completed,
            summary=CONCERN_NOTE.format(name=child.first_name)
            if concern
            else rng.choice(VISIT_NOTES).format(name=child.first_name, task=task),
            assignment_ids=practised,
            completed_assignment_ids=completed,
            safeguarding_concern=concern,
        )


def _follow_up(built: _Mentoring, matches: dict[str, Match]) -> None:
    """The lead's monthly check-ins (one overdue), the match that ended, and each active
    match's weekly slot planned until its group's last session (or for the next eight
    weeks, once the group is over)."""
    db, wave, today, rng = built.db, built.wave, built.today, built.rng
    lead = built.users[LEAD]

    def plan(pair: DemoMatch) -> None:
        group = built.sessions[built.cohort_of[pair.child].id or 0]
        live = [s for s in group if s.status != SessionStatus.cancelled]
        last = live[-1].date if live else today
        planning.plan_visits(
            db,
            actor=built.users[pair.mentor],
            match_id=matches[pair.child].id or 0,
            now=_morning_of(today),
            data=VisitPlanIn.model_validate(
                {
                    "weekday": pair.weekday,
                    "start_time": pair.start,
                    "duration_minutes": pair.minutes,
                    "until": None if last >= today + 7 * DAY else today + 56 * DAY,
                }
            ),
        )

    def end_date(match: Match) -> dt.date:
        return max(today - ENDED_DAYS_AGO * DAY, match.start_date)

    for pair in wave.matches:
        match = matches[pair.child]
        on = match.start_date + 25 * DAY
        while on <= (end_date(match) if pair.story == Story.ends else today - 2 * DAY):
            matching.add_check_in(
                db,
                actor=lead,
                match_id=match.id or 0,
                today=today,
                data=CheckInCreate(
                    date=on,
                    with_mentor=True,
                    with_child=rng.random() < 0.7,
                    with_carer=rng.random() < 0.5,
                    notes=wave.check_in_note,
                ),
            )
            if pair.story in (Story.overdue, Story.ends):
                break
            on += 30 * DAY
        if not wave.plans_last and pair.story != Story.ends:
            plan(pair)
    for pair in wave.matches:
        if pair.story == Story.ends:
            reason, ended_by, note = ENDING
            matching.end_match(
                db,
                actor=lead,
                match_id=matches[pair.child].id or 0,
                today=today,
                data=MatchEnd(
                    end_date=end_date(matches[pair.child]),
                    reason=reason,
                    ended_by=ended_by,
                    note=note,
                ),
            )
    if wave.plans_last:
        for pair in wave.matches:
            if pair.story != Story.ends:
                plan(pair)


# The Independent Visitor service -------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    """The `nth` ISO `weekday` of a month (nth from 1; at most 4, so every month has one)."""
    first = dt.date(year, month, 1)
    return first + ((weekday - first.isoweekday()) % 7 + 7 * (nth - 1)) * DAY


def _monthly_days(pair: DemoVisitor, since: dt.date, until: dt.date) -> list[dt.date]:
    """The match's monthly visit day in each month, from `since` up to, not including,
    `until`."""
    days = []
    year, month = since.year, since.month
    while dt.date(year, month, 1) < until:
        day = _nth_weekday(year, month, pair.weekday, pair.nth)
        if since <= day < until:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def build_visitors(db: Session, *, org_id: int, today: dt.date) -> Programme:
    """The Independent Visitor programme beside FHF-PT (app/demo/story.py): its volunteers
    (and an FHF-PT mentor who is one too), its children (and an FHF-PT child who has a
    visitor too), each match with the child's agreement recorded, a year of monthly visits,
    the lead's monthly supervision, one match ended early and each next visit planned."""
    org = db.get(Organisation, org_id)
    assert org is not None
    users = {u.email: u for u in db.exec(select(User).where(User.org_id == org_id)).all()}
    admin, lead = users[DEMO_USERS[0][0]], users[LEAD]
    rng = random.Random(IV_SEED)  # noqa: S311 (reproducible demo data, not a secret)
    programme = programmes.create_programme(
        db,
        actor=admin,
        data=ProgrammeCreate.model_validate(
            {
                "name": IV_PROGRAMME,
                "kind": ProgrammeKind.independent_visitor,
                "caseload_max": IV_CASELOAD,
                "visit_band": {
                    "per": "month",
                    "min_hours": IV_BAND_HOURS[0],
                    "max_hours": IV_BAND_HOURS[1],
                },
                "age_min": IV_AGES[0],
                "age_max": IV_AGES[1],
                "match_length_months": IV_MATCH_MONTHS,
            }
        ),
    )
    started = {pair.child: today - pair.started * DAY for pair in IV_MATCHES}
    for kid in IV_CHILDREN:
        create_child(
            db,
            actor=lead,
            today=today,
            data=ChildCreate.model_validate(
                {
                    "reference": kid.reference,
                    "first_name": kid.first_name,
                    "date_of_birth": add_months(today, -kid.months),  # 8 to 17 today
                    "placement_type": kid.placement,
                    "gender": kid.gender,
                    "ethnicity": kid.ethnicity,
                    "ethnicity_other": kid.ethnicity_other,
                    "languages": kid.languages,
                    "interests": kid.interests,
                    "preferences": kid.preferences,
                    "consent_given_by": "Social worker",
                    "consent_given_on": started[kid.reference] - 14 * DAY,
                }
            ),
        )
    _create_profiles(db, org=org, users=users, mentors=IV_MENTORS, today=today)
    kids = {c.reference: c for c in db.exec(select(Child).where(Child.org_id == org_id)).all()}

    for pair in IV_MATCHES:
        match = _visitor_match(
            db,
            lead=lead,
            mentor=users[pair.mentor],
            programme=programme,
            pair=pair,
            kids=kids,
            today=today,
        )
        child = kids[pair.child]
        ended = today - ENDED_EARLY_DAYS_AGO * DAY if pair.ends else None
        _visitor_visits(
            db,
            mentor=users[pair.mentor],
            pair=pair,
            match=match,
            child=child,
            until=ended or today,
            today=today,
            rng=rng,
        )
        on = match.start_date + 25 * DAY
        while on <= (ended or today - 2 * DAY):
            matching.add_check_in(
                db,
                actor=lead,
                match_id=match.id or 0,
                today=today,
                data=CheckInCreate(
                    date=on,
                    with_mentor=True,
                    with_child=rng.random() < 0.3,
                    with_carer=rng.random() < 0.3,
                    notes=IV_CHECK_IN_NOTE,
                ),
            )
            on += 30 * DAY
        if ended is not None:
            reason, ended_by, note = ENDED_EARLY
            matching.end_match(
                db,
                actor=lead,
                match_id=match.id or 0,
                today=today,
                data=MatchEnd(end_date=ended, reason=reason, ended_by=ended_by, note=note),
            )
            continue
        # The next visit, planned.
        following = _monthly_days(pair, today, add_months(today, 2))[0]
        visits.create_visit(
            db,
            actor=users[pair.mentor],
            now=_morning_of(today),
            data=VisitCreate(
                match_id=match.id or 0,
                date=following,
                start_time=dt.time.fromisoformat(pair.start),
                duration_minutes=pair.minutes,
                status=VisitStatus.planned,
            ),
        )
    return programme


def _visitor_match(
    db: Session,
    *,
    lead: User,
    mentor: User,
    programme: Programme,
    pair: DemoVisitor,
    kids: dict[str, Child],
    today: dt.date,
) -> Match:
    """The match, with when and how the child said they wanted a visitor (a week before it
    began)."""
    child = kids[pair.child]
    return matching.create_match(
        db,
        actor=lead,
        today=today,
        data=MatchCreate(
            child_id=child.id or 0,
            mentor_id=mentor.id or 0,
            start_date=today - pair.started * DAY,
            chosen_by_young_person=pair.chosen,
            programme_id=programme.id,
            child_agreed_on=today - (pair.started + 7) * DAY,
            child_agreed_how=pair.agreed_how,
        ),
    )


def _visitor_visits(
    db: Session,
    *,
    mentor: User,
    pair: DemoVisitor,
    match: Match,
    child: Child,
    until: dt.date,
    today: dt.date,
    rng: random.Random,
) -> None:
    """A visit each month up to `until`: most completed, a few missed, a few called off and
    rebooked for the week after."""
    name = child.first_name
    start = dt.time.fromisoformat(pair.start)

    def visit(day: dt.date, status: VisitStatus, summary: str) -> MentorVisit:
        return visits.create_visit(
            db,
            actor=mentor,
            now=_evening_of(today),
            data=VisitCreate(
                match_id=match.id or 0,
                date=day,
                start_time=start,
                duration_minutes=pair.minutes
                + (rng.choice((-30, 0, 0, 30)) if status == VisitStatus.completed else 0),
                status=status,
                summary=summary.format(name=name),
            ),
        )

    for day in _monthly_days(pair, match.start_date, until):
        draw = rng.random()
        if draw < IV_MISSED:
            visit(day, VisitStatus.missed, rng.choice(IV_MISSED_NOTES))
            continue
        if draw < IV_MISSED + IV_CANCELLED and day + 7 * DAY < until:
            by, why = rng.choice(IV_CALLED_OFF)
            called_off = visit(day, VisitStatus.cancelled, why)
            visits.update_visit(
                db,
                actor=mentor,
                visit_id=called_off.id or 0,
                now=_evening_of(today),
                data=VisitUpdate.model_validate(
                    {
                        "version": called_off.version,
                        "called_off_by": by,
                        "cancel_reason": why.format(name=name),
                    }
                ),
            )
            day += 7 * DAY
        visit(day, VisitStatus.completed, rng.choice(IV_VISIT_NOTES))
