"""Issue 19: more than one programme. The programme table; every organisation gets the FHF-PT
programme with its own settings (band, ages 9-11, a caseload of up to 4 so that
each mentor's own limit decides as before, 6 months), and its cohorts,
matches and visits are put in it, so every figure is unchanged. One active match per child
becomes one per child in each programme. A match records an age override and, for an
Independent Visitor, when and how the child agreed.

Revision ID: i19_programmes
Revises: i18_retention_indexes
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i19_programmes"
down_revision: str | Sequence[str] | None = "i18_retention_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("group_and_mentoring", "mentoring_only", "befriending", "independent_visitor")


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *KINDS, name="programme_kind", native_enum=False, create_constraint=True, length=27
            ),
            nullable=False,
        ),
        sa.Column("curriculum_id", sa.Integer(), nullable=True),
        sa.Column("caseload_max", sa.Integer(), nullable=False),
        sa.Column(
            "band_per",
            sa.Enum(
                "week",
                "month",
                name="programme_band_per",
                native_enum=False,
                create_constraint=True,
                length=13,
            ),
            nullable=False,
        ),
        sa.Column("band_min_hours", sa.Float(), nullable=False),
        sa.Column("band_max_hours", sa.Float(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=False),
        sa.Column("age_max", sa.Integer(), nullable=False),
        sa.Column("match_length_months", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["curriculum_id"], ["curriculum.id"], name=op.f("fk_programme_curriculum_id_curriculum")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_programme_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_programme_org_id_name")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_org_id_kind"), ["org_id", "kind"])

    # FHF-PT for every organisation, with its band; the curriculum its cohorts use most.
    op.execute(
        """
        INSERT INTO programme (org_id, name, kind, curriculum_id, caseload_max, band_per,
            band_min_hours, band_max_hours, age_min, age_max, match_length_months,
            created_at, version)
        SELECT o.id, 'Fostering Healthy Futures (FHF-PT)', 'group_and_mentoring',
            (SELECT c.curriculum_id FROM cohort c WHERE c.org_id = o.id
             GROUP BY c.curriculum_id ORDER BY count(*) DESC, c.curriculum_id LIMIT 1),
            4, 'week', o.mentoring_hours_min, o.mentoring_hours_max, 9, 11, 6,
            o.created_at, 1
        FROM organisation o
        """
    )
    for table in ("cohort", "mentor_match", "mentor_visit"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("programme_id", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET programme_id = "  # noqa: S608 (a fixed table name)
            f"(SELECT p.id FROM programme p WHERE p.org_id = {table}.org_id)"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("programme_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_programme_id_programme"),
                "programme",
                ["programme_id"],
                ["id"],
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_programme_id"), ["programme_id"])

    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("age_override", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(sa.Column("child_agreed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "child_agreed_how", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch_op.drop_index("uq_mentor_match_active_child")
        batch_op.create_index(
            "uq_mentor_match_active_child",
            ["programme_id", "child_id"],
            unique=True,
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("mentor_match", schema=None) as batch_op:
        batch_op.drop_index("uq_mentor_match_active_child")
        batch_op.create_index(
            "uq_mentor_match_active_child",
            ["child_id"],
            unique=True,
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        )
        batch_op.drop_column("child_agreed_how")
        batch_op.drop_column("child_agreed_on")
        batch_op.drop_column("age_override")
    for table in ("mentor_visit", "mentor_match", "cohort"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_programme_id"))
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_programme_id_programme"), type_="foreignkey"
            )
            batch_op.drop_column("programme_id")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_org_id_kind"))
    op.drop_table("programme")
