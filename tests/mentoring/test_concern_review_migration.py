"""The concern_review migration: a concern marked reviewed before reviews were recorded gets
a review ("other", saying so), so its flag does not come back; an open concern gets none."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete
from sqlmodel import Session, select

from app.auth.models import Role, User
from app.children import service as children
from app.children.schemas import ChildCreate
from app.db import create_db_engine
from app.mentoring.concerns import service as concern_reviews
from app.mentoring.matching import service as matching
from app.mentoring.models import ConcernReview, MentorVisit
from app.mentoring.profiles import service as profiles
from app.mentoring.schemas import MatchCreate, MentorCreate, VisitCreate
from app.mentoring.visits import service as visits
from tests.support.databases import DatabaseFactory, alembic_config_for
from tests.support.people import People

REVISION = "i15_concern_reviews"
TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 21, 0, tzinfo=dt.UTC)


def test_concerns_already_reviewed_get_a_review_row(databases: DatabaseFactory) -> None:
    url = databases.new("concern_review_backfill")
    config = alembic_config_for(url)
    command.upgrade(config, "head")
    engine = create_db_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            people = People(db)
            mentor = people.add(Role.mentor, email="backfill.mentor@org-a.example.org")
            child = children.create_child(
                db,
                actor=people.lead,
                data=ChildCreate.model_validate(
                    {
                        "reference": "BACKFILL-1",
                        "first_name": "Sam",
                        "date_of_birth": "2016-03-01",
                        "placement_type": "foster",
                        "consent_given_by": "Social worker",
                        "consent_given_on": "2026-09-01",
                    }
                ),
                today=TODAY,
            )
            profiles.create_profile(
                db,
                actor=people.lead,
                data=MentorCreate(
                    user_id=mentor.id or 0,
                    dbs_checked_on=dt.date(2025, 6, 1),
                    barred_list_checked=True,
                    references_checked=True,
                    interviewed_on=dt.date(2025, 6, 10),
                    training_completed_on=dt.date(2025, 7, 1),
                ),
                today=TODAY,
            )
            match = matching.create_match(
                db,
                actor=people.lead,
                data=MatchCreate(
                    child_id=child.id or 0,
                    mentor_id=mentor.id or 0,
                    start_date=dt.date(2026, 9, 7),
                ),
                today=TODAY,
            )

            def concern(day: int) -> MentorVisit:
                return visits.create_visit(
                    db,
                    actor=mentor,
                    data=VisitCreate(
                        match_id=match.id or 0,
                        date=dt.date(2026, 11, day),
                        start_time=dt.time(10),
                        duration_minutes=60,
                        status="completed",
                        safeguarding_concern=True,
                    ),
                    now=NOW,
                )

            reviewed, still_open = concern(13), concern(20)
            concern_reviews.mark_reviewed(db, actor=people.lead, visit_id=reviewed.id or 0, now=NOW)
            db.commit()
            marked_at = db.get_one(MentorVisit, reviewed.id).concern_reviewed_at
            # As it was before reviews were recorded: the visit marked, no review.
            db.execute(delete(ConcernReview))
            db.commit()
            lead_id = people.lead.id
        down = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
        assert isinstance(down, str)
        command.downgrade(config, down)
        command.upgrade(config, "head")
        with Session(engine) as db:
            rows = db.exec(select(ConcernReview)).all()
            assert [(r.visit_id, r.action.value, r.escalated, r.reviewed_by) for r in rows] == [
                (reviewed.id, "other", False, lead_id)
            ]
            assert rows[0].reviewed_at == marked_at
            assert "before Tandem recorded" in rows[0].note
            # The flag stays as it was: only the open concern is listed.
            lead = db.get_one(User, lead_id)
            assert [c[0] for c in concern_reviews.concerns(db, actor=lead)] == [still_open.id]
    finally:
        engine.dispose()
