"""The demo's outcomes (app/demo/outcomes.py): believable SDQ and WHO-5 assessments inside
their windows, life events before and since, the same from the same date, nothing twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.auth.models import Organisation
from app.children.models import Child
from app.cohorts.models import Enrolment, EnrolmentStatus, GroupSession, SessionStatus
from app.db import create_db_engine
from app.demo import outcomes as story
from app.demo.story import DEMO_ORG, MONDAY, THURSDAY, WEDNESDAY
from app.fidelity.service import Scope, child_dosage
from app.outcomes import scoring
from app.outcomes.models import Assessment, EventKind, LifeEvent, Measure, Timepoint
from app.outcomes.schemas import MeasureFile
from tests.demo.test_mentoring import row_counts
from tests.support.databases import DatabaseFactory
from tests.support.demo import run_demo

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def _norms(
    sd: float, reliability: float, bands: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {
        "sd": sd,
        "reliability": reliability,
        "source": {"citation": "Goodman R (2001) Psychometric properties of the SDQ."},
        "bands": bands or [],
    }


def _sdq_scale(
    key: str, sds: tuple[float, float, float], higher_is: str = "worse"
) -> dict[str, object]:
    carer, teacher, self_ = sds
    return {
        "key": key,
        "name": key.capitalize(),
        "min": 0,
        "max": 10,
        "higher_is": higher_is,
        "norms": {
            "carer": _norms(carer, 0.7),
            "teacher": _norms(teacher, 0.75),
            "self": _norms(self_, 0.65),
        },
    }


SDQ = MeasureFile.model_validate(
    {
        "key": "sdq",
        "version": 1,
        "name": "Strengths and Difficulties Questionnaire",
        "licence": {"name": "Youthinmind: paper scores only", "item_text_allowed": False},
        "informants": {"carer": "Carer", "teacher": "Teacher", "self": "Young person"},
        "entry": "scores",
        "ages": (4, 17),
        "scales": [
            _sdq_scale("emotional", (2.0, 1.9, 2.1)),
            _sdq_scale("conduct", (1.7, 1.6, 1.7)),
            _sdq_scale("hyperactivity", (2.6, 2.9, 2.2)),
            _sdq_scale("peer", (1.7, 1.7, 1.5)),
            _sdq_scale("prosocial", (1.6, 2.4, 1.6), "better"),
            {
                "key": "total_difficulties",
                "name": "Total difficulties",
                "min": 0,
                "max": 40,
                "higher_is": "worse",
                "derived": "sum_of_scales",
                "from_scales": ["emotional", "conduct", "hyperactivity", "peer"],
                "norms": {
                    "carer": _norms(
                        5.8,
                        0.82,
                        [
                            {"name": "Close to average", "min": 0, "max": 13},
                            {"name": "Slightly raised", "min": 14, "max": 16},
                            {"name": "High", "min": 17, "max": 19, "high": True},
                            {"name": "Very high", "min": 20, "max": 40, "high": True},
                        ],
                    ),
                    "teacher": _norms(6.0, 0.87),
                    "self": _norms(5.2, 0.8),
                },
            },
        ],
    }
)
WHO5 = MeasureFile.model_validate(
    {
        "key": "who5",
        "version": 1,
        "name": "WHO-5 Well-Being Index",
        "licence": {"name": "Free to use", "item_text_allowed": True},
        "informants": {"self": "Young person"},
        "entry": "items",
        "ages": (9, 17),
        "items": [{"key": f"i{n}", "text": f"Item {n}"} for n in range(1, 6)],
        "item_scale": {"min": 0, "max": 5},
        "scales": [
            {
                "key": "wellbeing",
                "name": "Wellbeing",
                "min": 0,
                "max": 100,
                "higher_is": "better",
                "derived": "sum_of_items",
                "multiplier": 4,
                "norms": {"self": _norms(20.0, 0.8)},
            }
        ],
    }
)


def no_measures(url: str) -> None:
    """The suite's databases come with the real measures loaded (tests/support/databases.py):
    these tests are written around their own definitions (and one around none at all)."""
    engine = create_db_engine(url)
    with Session(engine) as db:
        db.execute(delete(Measure))
        db.commit()
    engine.dispose()


def load_measures(url: str, *measures: MeasureFile) -> None:
    no_measures(url)
    engine = create_db_engine(url)
    with Session(engine) as db:
        for m in measures:
            db.add(
                Measure(
                    key=m.key,
                    version=m.version,
                    name=m.name,
                    content_hash=m.key.ljust(64, "0"),
                    definition=m.model_dump(mode="json"),
                    loaded_at=NOW,
                )
            )
        db.commit()
    engine.dispose()


DAY = dt.timedelta(days=1)
# Every group has ended by this date (the Wednesday group at the end of December, the Monday
# group in April, the Thursday group in May) and the Thursday group's end window is open.
ENDED = dt.date(2027, 7, 15)


@dataclass
class Demo:
    url: str
    engine: Engine


@pytest.fixture(scope="module")
def demo(databases: DatabaseFactory) -> Iterator[Demo]:
    url = databases.migrated("demo_outcomes")
    load_measures(url, SDQ, WHO5)
    run_demo(url, "--today", ENDED.isoformat())
    engine = create_db_engine(url)
    yield Demo(url, engine)
    engine.dispose()


@pytest.fixture
def db(demo: Demo) -> Iterator[Session]:
    with Session(demo.engine) as session:
        yield session


def assessments(
    db: Session, key: str, informant: str, timepoint: Timepoint
) -> dict[str, Assessment]:
    """By child reference."""
    rows = db.exec(
        select(Assessment, Child.reference)
        .join(Child, col(Child.id) == col(Assessment.child_id))
        .where(
            Assessment.measure_key == key,
            Assessment.informant == informant,
            Assessment.timepoint == timepoint,
        )
    ).all()
    return {reference: row for row, reference in rows}


def children(db: Session) -> dict[str, Child]:
    """The groups' children (the Independent Visitors' have no group to be assessed in)."""
    groups = {kid.reference for cohort in (MONDAY, WEDNESDAY, THURSDAY) for kid in cohort.children}
    return {c.reference: c for c in db.exec(select(Child)).all() if c.reference in groups}


def age(child: Child, on: dt.date) -> int:
    born = child.date_of_birth
    assert born is not None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def sessions_of(db: Session) -> dict[str, tuple[list[dt.date], dt.date, bool]]:
    """Each child's live sessions, their group's last, and whether they were withdrawn."""
    out = {}
    for enrolment, reference in db.exec(
        select(Enrolment, Child.reference).join(Child, col(Child.id) == col(Enrolment.child_id))
    ).all():
        dates = sorted(
            db.exec(
                select(col(GroupSession.date)).where(
                    GroupSession.cohort_id == enrolment.cohort_id,
                    col(GroupSession.status) != SessionStatus.cancelled,
                )
            ).all()
        )
        own = [d for d in dates if d >= enrolment.start_date]
        out[reference] = (own, dates[-1], enrolment.status == EnrolmentStatus.withdrawn)
    return out


def test_every_child_has_baselines_and_ends_but_a_few(db: Session) -> None:
    kids = children(db)
    info = sessions_of(db)
    stayed = {ref for ref, (_, _, withdrawn) in info.items() if not withdrawn}
    assert len(kids) == 26
    assert stayed == set(kids) - {"DEMO-18"}  # Tyler left the Wednesday group in week 6
    carer_before = assessments(db, "sdq", "carer", Timepoint.baseline)
    carer_after = assessments(db, "sdq", "carer", Timepoint.end)
    assert set(carer_before) == set(kids)
    # The end SDQ the carers have not returned (one a group), and none for Tyler.
    assert set(carer_after) == stayed - set(story.SDQ_NO_END)
    teacher = assessments(db, "sdq", "teacher", Timepoint.baseline)
    assert 0.7 * len(kids) <= len(teacher) < len(kids)  # most, not all
    older = {ref for ref, kid in kids.items() if age(kid, info[ref][0][0]) >= 11}
    assert older  # the self-report is for the eleven-year-olds
    assert set(assessments(db, "sdq", "self", Timepoint.baseline)) <= older
    assert set(assessments(db, "sdq", "self", Timepoint.end)) <= older & stayed
    who5_before = assessments(db, "who5", "self", Timepoint.baseline)
    who5_after = assessments(db, "who5", "self", Timepoint.end)
    assert all(age(kids[ref], info[ref][0][0]) >= 9 for ref in who5_before)
    assert len(who5_before) >= 0.8 * len(kids)
    assert set(who5_after) <= stayed
    assert len(who5_after) >= 0.7 * len(stayed)
    assert not db.exec(
        select(Assessment).where(col(Assessment.timepoint).not_in(["baseline", "end"]))
    ).first()


def test_dates_fall_inside_their_windows(db: Session) -> None:
    info = sessions_of(db)
    rows = db.exec(select(Assessment, Child.reference).join(Child)).all()
    assert rows
    for row, reference in rows:
        own, last, withdrawn = info[reference]
        if row.timepoint == Timepoint.baseline:
            assert own[0] - 6 * 7 * DAY <= row.completed_on <= own[1], (reference, row)
        else:
            assert not withdrawn
            assert last <= row.completed_on <= min(last + 6 * 7 * DAY, ENDED), (reference, row)
        assert row.completed_on <= ENDED


def test_every_score_is_as_scoring_works_it_out(db: Session) -> None:
    definitions = {"sdq": SDQ, "who5": WHO5}
    rows = db.exec(select(Assessment)).all()
    assert {r.measure_key for r in rows} == {"sdq", "who5"}
    for row in rows:
        definition = definitions[row.measure_key]
        assert row.measure_version == 1
        if row.measure_key == "sdq":
            entered = {k: v for k, v in row.scores.items() if k != "total_difficulties"}
            assert row.items == {}
            assert scoring.score(definition, row.informant, scores=entered) == row.scores
            difficulties = ("emotional", "conduct", "hyperactivity", "peer")
            assert row.scores["total_difficulties"] == sum(row.scores[k] for k in difficulties)
        else:
            assert set(row.items) == {"i1", "i2", "i3", "i4", "i5"}
            assert scoring.score(definition, row.informant, items=row.items) == row.scores
            assert row.scores == {"wellbeing": 4 * sum(row.items.values())}


def test_the_carers_scores_are_believable(db: Session) -> None:
    """High at baseline, as looked-after children score; about three points lower at the
    end, with a few reliable improvements, most no reliable change and one or two worse;
    the children who met the dosage threshold improved more."""
    before = assessments(db, "sdq", "carer", Timepoint.baseline)
    after = assessments(db, "sdq", "carer", Timepoint.end)
    totals = sorted(r.scores["total_difficulties"] for r in before.values())
    assert sum(14 <= t <= 24 for t in totals) >= 0.7 * len(totals)
    high = [scoring.band(SDQ, "total_difficulties", "carer", t) for t in totals]
    assert sum(bool(b and b.high) for b in high) >= 0.5 * len(totals)
    changes = {
        ref: after[ref].scores["total_difficulties"] - before[ref].scores["total_difficulties"]
        for ref in after
    }
    mean = sum(changes.values()) / len(changes)
    assert -4.5 <= mean <= -2
    verdicts = [
        scoring.reliable_change(
            SDQ,
            "total_difficulties",
            "carer",
            before[ref].scores["total_difficulties"],
            after[ref].scores["total_difficulties"],
        )
        for ref in changes
    ]
    assert 1 <= verdicts.count("improved") <= 0.4 * len(verdicts)
    assert verdicts.count("no_reliable_change") > len(verdicts) / 2
    assert 1 <= verdicts.count("deteriorated") <= 2
    assert {ref for ref, change in changes.items() if change > 0} >= set(story.SDQ_WORSE)


def test_children_who_met_the_dosage_threshold_improved_more(db: Session) -> None:
    org = db.exec(select(Organisation).where(Organisation.name == DEMO_ORG)).one()
    scope = Scope(
        org_id=org.id or 0,
        as_of=ENDED,
        cohort_ids=None,
        threshold=org.dosage_threshold,
        band=(1, 3),
    )
    below = {d.reference for d in child_dosage(db, scope) if d.below_threshold}
    assert "DEMO-15" in below  # the story's child below the threshold
    before = assessments(db, "sdq", "carer", Timepoint.baseline)
    after = assessments(db, "sdq", "carer", Timepoint.end)
    changes = {
        ref: after[ref].scores["total_difficulties"] - before[ref].scores["total_difficulties"]
        for ref in after
        if ref not in story.SDQ_WORSE
    }
    met = [c for ref, c in changes.items() if ref not in below]
    low = [c for ref, c in changes.items() if ref in below]
    assert met
    assert low
    assert sum(met) / len(met) < sum(low) / len(low)


def test_the_childrens_wellbeing_rises_a_little(db: Session) -> None:
    before = assessments(db, "who5", "self", Timepoint.baseline)
    after = assessments(db, "who5", "self", Timepoint.end)
    both = set(before) & set(after)
    assert len(both) >= 15
    mean_before = sum(before[r].scores["wellbeing"] for r in both) / len(both)
    mean_after = sum(after[r].scores["wellbeing"] for r in both) / len(both)
    assert 35 <= mean_before <= 70
    assert 0 < mean_after - mean_before <= 20


def test_life_events_before_and_since(db: Session) -> None:
    info = sessions_of(db)
    kids = {c.id: c for c in db.exec(select(Child)).all()}
    events = db.exec(select(LifeEvent)).all()
    before = [e for e in events if e.date < info[kids[e.child_id].reference][0][0]]
    since = [e for e in events if e not in before]
    moves_before = [e for e in before if e.kind == EventKind.placement_move]
    moves_since = [e for e in since if e.kind == EventKind.placement_move]
    assert len(moves_before) >= 4
    assert 1 <= len(moves_since) < len(moves_before)
    for e in moves_before:  # in the twelve months before the first session
        assert e.date >= info[kids[e.child_id].reference][0][0] - 365 * DAY
    assert [e.kind for e in before if e.kind != EventKind.placement_move] == [
        EventKind.residential_placement
    ]
    assert sorted(e.kind for e in since if e.kind != EventKind.placement_move) == [
        EventKind.missing_episode,
        EventKind.reunification,
        EventKind.school_exclusion,
    ]
    names = {c.first_name for c in kids.values()}
    for e in events:
        assert e.date < ENDED
        assert e.note
        assert len(e.note) <= 100
        assert not any(name in e.note for name in names), e.note
        assert e.created_by is not None


def test_one_audit_event_a_row(db: Session) -> None:
    rows = {
        "assessment": db.exec(select(col(Assessment.id))).all(),
        "life_event": db.exec(select(col(LifeEvent.id))).all(),
    }
    for entity, ids in rows.items():
        audited = db.exec(
            select(col(AuditEvent.entity_id)).where(
                AuditEvent.entity == entity, AuditEvent.action == "create"
            )
        ).all()
        assert ids
        assert sorted(i or 0 for i in audited) == sorted(i or 0 for i in ids)


def test_a_second_run_adds_nothing(demo: Demo) -> None:
    before = row_counts(demo.engine)
    run_demo(demo.url, "--today", ENDED.isoformat())
    assert row_counts(demo.engine) == before


def rows_of(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as db:
        return [
            (a.child_id, a.measure_key, a.informant, a.timepoint, a.completed_on, a.scores, a.items)
            for a in db.exec(select(Assessment).order_by(col(Assessment.id))).all()
        ] + [
            (e.child_id, e.kind, e.date, e.note)
            for e in db.exec(select(LifeEvent).order_by(col(LifeEvent.id))).all()
        ]


def test_the_same_date_gives_the_same_outcomes(databases: DatabaseFactory, demo: Demo) -> None:
    url = databases.migrated("demo_outcomes_again")
    load_measures(url, SDQ, WHO5)
    run_demo(url, "--today", ENDED.isoformat())
    engine = create_db_engine(url)
    try:
        assert rows_of(engine) == rows_of(demo.engine)
    finally:
        engine.dispose()


def test_a_group_mid_year_has_baselines_only(databases: DatabaseFactory) -> None:
    """On 10 March 2027 the Wednesday group has ended (30 December) and its end window has
    closed; the Monday and Thursday groups are mid-year."""
    url = databases.migrated("demo_outcomes_march")
    load_measures(url, SDQ, WHO5)
    run_demo(url, "--today", "2027-03-10")
    engine = create_db_engine(url)
    try:
        with Session(engine) as db:
            wednesday = {kid.reference for kid in WEDNESDAY.children}
            ends = db.exec(
                select(Child.reference, Assessment.informant)
                .join(Assessment, col(Assessment.child_id) == col(Child.id))
                .where(Assessment.timepoint == Timepoint.end)
            ).all()
            assert {ref for ref, _ in ends} <= wednesday - {"DEMO-18"}
            # Every carer's but DEMO-16's: theirs is overdue, its window closed on 10 February.
            carers = {ref for ref, informant in ends if informant == "carer"}
            assert carers == wednesday - {"DEMO-18", "DEMO-16"}
            baselines = db.exec(
                select(func.count())
                .select_from(Assessment)
                .where(
                    Assessment.timepoint == Timepoint.baseline,
                    Assessment.informant == "carer",
                )
            ).one()
            assert baselines == 26
            assert all(e.date < dt.date(2027, 3, 10) for e in db.exec(select(LifeEvent)).all())
    finally:
        engine.dispose()


def test_a_measure_not_loaded_is_skipped_then_added(databases: DatabaseFactory) -> None:
    """Like the groups without a curriculum: no SDQ or WHO-5 until `tandem outcomes load`;
    the next `tandem demo` adds them (the life events are there from the first)."""
    url = databases.migrated("demo_outcomes_later")
    no_measures(url)
    run_demo(url, "--today", ENDED.isoformat())
    engine = create_db_engine(url)
    try:
        with Session(engine) as db:
            assert db.exec(select(func.count()).select_from(Assessment)).one() == 0
            events = db.exec(select(func.count()).select_from(LifeEvent)).one()
            assert events > 0
        load_measures(url, WHO5)
        run_demo(url, "--today", ENDED.isoformat())
        with Session(engine) as db:
            keys = set(db.exec(select(Assessment.measure_key)).all())
            assert keys == {"who5"}
            assert db.exec(select(func.count()).select_from(LifeEvent)).one() == events
    finally:
        engine.dispose()
