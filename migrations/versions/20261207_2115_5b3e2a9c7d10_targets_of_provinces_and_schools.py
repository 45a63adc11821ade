"""targets of provinces and schools: a target may belong to a province or a school instead of the nation

Revision ID: 5b3e2a9c7d10
Revises: 28a8f56ee749
Create Date: 2026-12-07 21:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b3e2a9c7d10'
down_revision = '28a8f56ee749'
branch_labels = None
depends_on = None


def upgrade():
    # No table references target, so SQLite's batch mode may recreate it.
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('school_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_target_province'), ['province'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_school_id'), ['school_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_target_school_id_school'), 'school', ['school_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_target_school_id_school'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_target_school_id'))
        batch_op.drop_index(batch_op.f('ix_target_province'))
        batch_op.drop_column('school_id')
        batch_op.drop_column('province')
