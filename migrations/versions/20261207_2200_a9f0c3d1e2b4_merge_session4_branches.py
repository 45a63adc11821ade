"""Merge point of the branches developed side by side in session 4 (deadlines, notifications, local targets).

Revision ID: a9f0c3d1e2b4
Revises: 5b7d2e9a1c40, 5785e6b66f9f, 5b3e2a9c7d10, 2f424513b6d3, 6fe094da4917
Create Date: 2026-12-07 22:00:00
"""

revision = "a9f0c3d1e2b4"
down_revision = ("5b7d2e9a1c40", "5785e6b66f9f", "5b3e2a9c7d10", "2f424513b6d3", "6fe094da4917")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
