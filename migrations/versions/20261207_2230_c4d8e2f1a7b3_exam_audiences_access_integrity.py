"""Exams: grants to courses and cohorts with their windows, access code, allowed networks, one question at a
time, and the attempt integrity log.

Revision ID: c4d8e2f1a7b3
Revises: a9f0c3d1e2b4
Create Date: 2026-12-07 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c4d8e2f1a7b3"
down_revision = "a9f0c3d1e2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exam") as batch:
        batch.add_column(sa.Column("access_code", sa.String(32), nullable=True))
        batch.add_column(sa.Column("allowed_networks", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("one_at_a_time", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("allow_back", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "exam_audience",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("exam.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("exam_id", "kind", "target_id"),
    )
    op.create_index("ix_exam_audience_exam_id", "exam_audience", ["exam_id"])
    with op.batch_alter_table("exam_grant") as batch:
        batch.add_column(sa.Column("audience_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_exam_grant_audience_id_exam_audience", "exam_audience", ["audience_id"], ["id"],
                                 ondelete="SET NULL")
    with op.batch_alter_table("attempt") as batch:
        batch.add_column(sa.Column("furthest_slot", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "attempt_integrity_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("attempt_id", sa.Integer(), sa.ForeignKey("attempt.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("session", sa.String(16), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_attempt_integrity_event_attempt_id", "attempt_integrity_event", ["attempt_id"])


def downgrade():
    op.drop_index("ix_attempt_integrity_event_attempt_id", "attempt_integrity_event")
    op.drop_table("attempt_integrity_event")
    with op.batch_alter_table("attempt") as batch:
        batch.drop_column("furthest_slot")
    with op.batch_alter_table("exam_grant") as batch:
        batch.drop_constraint("fk_exam_grant_audience_id_exam_audience", type_="foreignkey")
        batch.drop_column("audience_id")
    op.drop_index("ix_exam_audience_exam_id", "exam_audience")
    op.drop_table("exam_audience")
    with op.batch_alter_table("exam") as batch:
        batch.drop_column("allow_back")
        batch.drop_column("one_at_a_time")
        batch.drop_column("allowed_networks")
        batch.drop_column("access_code")
