"""certification: a training course is credited on completion once per teacher (partial unique index)

Revision ID: 1d220eab8b8c
Revises: f9ee5014b9c3
Create Date: 2026-11-23 04:46:20.661835

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1d220eab8b8c'
down_revision = 'f9ee5014b9c3'
branch_labels = None
depends_on = None

_WHERE = sa.text("source = 'course_completion'")


def upgrade():
    # Lines written twice by concurrent completions before this index existed are double credit: keep the first
    # line of each (teacher, course) so that the index can be built.
    op.execute(sa.text(
        "DELETE FROM credit_hour_entry WHERE source = 'course_completion' AND course_id IS NOT NULL "
        "AND id NOT IN (SELECT MIN(id) FROM credit_hour_entry WHERE source = 'course_completion' "
        "AND course_id IS NOT NULL GROUP BY user_id, course_id)"))
    with op.batch_alter_table('credit_hour_entry', schema=None) as batch_op:
        batch_op.create_index('uq_credit_hour_entry_course_completion', ['user_id', 'course_id'], unique=True,
                              sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade():
    with op.batch_alter_table('credit_hour_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_credit_hour_entry_course_completion', sqlite_where=_WHERE, postgresql_where=_WHERE)
