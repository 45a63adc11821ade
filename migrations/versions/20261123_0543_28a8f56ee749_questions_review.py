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


def _sqlite_with_questions() -> bool:
    """True on SQLite when questions exist. Batch mode would recreate question and question_version, and with
    foreign keys enforced (the app turns them on; SQLite cannot turn them off inside the migration's
    transaction) dropping a table that other rows (versions, papers, attempt items) reference is refused."""
    bind = op.get_bind()
    return (bind.dialect.name == 'sqlite'
            and bind.exec_driver_sql('SELECT 1 FROM question LIMIT 1').first() is not None)


def upgrade():
    if _sqlite_with_questions():
        # Add the referencing columns in place (ALTER TABLE keeps the rows). They are column constraints, which
        # SQLite enforces, but its reflection does not show their ON DELETE (``flask db check`` lists them).
        op.execute('ALTER TABLE question ADD COLUMN approved_version_id INTEGER '
                   'CONSTRAINT fk_question_approved_version_id_question_version REFERENCES question_version (id)')
        op.execute('ALTER TABLE question_version ADD COLUMN submitted_by_id INTEGER '
                   'CONSTRAINT fk_question_version_submitted_by_id_user REFERENCES "user" (id) ON DELETE SET NULL')
        op.execute('ALTER TABLE question_version ADD COLUMN approved_by_id INTEGER '
                   'CONSTRAINT fk_question_version_approved_by_id_user REFERENCES "user" (id) ON DELETE SET NULL')
    else:
        with op.batch_alter_table('question', schema=None) as batch_op:
            batch_op.add_column(sa.Column('approved_version_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key('fk_question_approved_version_id_question_version', 'question_version',
                                        ['approved_version_id'], ['id'])
        with op.batch_alter_table('question_version', schema=None) as batch_op:
            batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_question_version_submitted_by_id_user'), 'user',
                                        ['submitted_by_id'], ['id'], ondelete='SET NULL')
            batch_op.create_foreign_key(batch_op.f('fk_question_version_approved_by_id_user'), 'user',
                                        ['approved_by_id'], ['id'], ondelete='SET NULL')
    # New rows get their state from the application ('draft', then submitted); the server default only fills
    # the existing rows, which are then marked approved below.
    op.add_column('question_version', sa.Column('review_state', sa.String(length=20), nullable=False,
                                                server_default='draft'))
    op.add_column('question_version', sa.Column('submitted_at', sa.DateTime(), nullable=True))
    op.add_column('question_version', sa.Column('approved_at', sa.DateTime(), nullable=True))
    op.create_index(op.f('ix_question_approved_version_id'), 'question', ['approved_version_id'], unique=False)
    op.create_index(op.f('ix_question_version_review_state'), 'question_version', ['review_state'], unique=False)
    op.create_index(op.f('ix_question_version_submitted_by_id'), 'question_version', ['submitted_by_id'],
                    unique=False)

    # Versions that exams already used stay usable: approved since they were made, and the question's
    # approved pointer is its current version.
    op.execute("UPDATE question_version SET review_state = 'approved', approved_at = created_at")
    op.execute("UPDATE question SET approved_version_id = current_version_id")


def downgrade():
    op.drop_index(op.f('ix_question_version_submitted_by_id'), table_name='question_version')
    op.drop_index(op.f('ix_question_version_review_state'), table_name='question_version')
    op.drop_index(op.f('ix_question_approved_version_id'), table_name='question')
    if op.get_bind().dialect.name != 'sqlite':
        # On SQLite the (inline) constraints go with their columns when batch mode recreates the tables.
        op.drop_constraint(op.f('fk_question_version_approved_by_id_user'), 'question_version', type_='foreignkey')
        op.drop_constraint(op.f('fk_question_version_submitted_by_id_user'), 'question_version', type_='foreignkey')
        op.drop_constraint('fk_question_approved_version_id_question_version', 'question', type_='foreignkey')
    with op.batch_alter_table('question_version', schema=None) as batch_op:
        batch_op.drop_column('approved_by_id')
        batch_op.drop_column('submitted_by_id')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('review_state')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('approved_version_id')
