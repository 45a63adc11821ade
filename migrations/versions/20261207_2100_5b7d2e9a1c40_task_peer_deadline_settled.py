"""tasks: remember which peer deadline has been carried into the gradebook

When a peer-review deadline passes, a task's final score no longer waits for missing reviews; the scheduler's
due task ``tasks.peer_deadlines`` recomputes the gradebooks then and records the deadline it handled here, so
that it happens once per deadline even when the task runs twice or on two servers.

Revision ID: 5b7d2e9a1c40
Revises: 28a8f56ee749
Create Date: 2026-12-07 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7d2e9a1c40'
down_revision = '28a8f56ee749'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (nullable): batch mode would recreate task_assignment, which other rows reference.
    op.add_column('task_assignment', sa.Column('peer_deadline_settled_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('task_assignment', schema=None) as batch_op:
        batch_op.drop_column('peer_deadline_settled_at')
