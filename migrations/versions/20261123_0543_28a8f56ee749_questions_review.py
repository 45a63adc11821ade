"""questions review: question versions go through the review workflow (凡编必审)

Existing versions were already in use by exams, so they are marked approved (approved when created) and
each question's approved pointer starts at its current version. New versions start as drafts and are
submitted by the application.

Revision ID: 28a8f56ee749
Revises: 8e6265f6ce5e
Create Date: 2026-11-23 05:43:09.740607

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '28a8f56ee749'
down_revision = '8e6265f6ce5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_approved_version_id'), ['approved_version_id'], unique=False)
        batch_op.create_foreign_key('fk_question_approved_version_id_question_version', 'question_version',
                                    ['approved_version_id'], ['id'])

    with op.batch_alter_table('question_version', schema=None) as batch_op:
        # The server default fills the existing rows only; it is dropped again below (the model sets the state).
        batch_op.add_column(sa.Column('review_state', sa.String(length=20), nullable=False,
                                      server_default='approved'))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_version_review_state'), ['review_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_version_submitted_by_id'), ['submitted_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_question_version_submitted_by_id_user'), 'user', ['submitted_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_question_version_approved_by_id_user'), 'user', ['approved_by_id'], ['id'], ondelete='SET NULL')

    # Versions that exams already used stay usable: approved since they were made, and the question's
    # approved pointer is its current version.
    op.execute("UPDATE question_version SET approved_at = created_at")
    op.execute("UPDATE question SET approved_version_id = current_version_id")
    with op.batch_alter_table('question_version', schema=None) as batch_op:
        batch_op.alter_column('review_state', existing_type=sa.String(length=20), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('question_version', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_question_version_approved_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_question_version_submitted_by_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_question_version_submitted_by_id'))
        batch_op.drop_index(batch_op.f('ix_question_version_review_state'))
        batch_op.drop_column('approved_by_id')
        batch_op.drop_column('submitted_by_id')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('review_state')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint('fk_question_approved_version_id_question_version', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_question_approved_version_id'))
        batch_op.drop_column('approved_version_id')
