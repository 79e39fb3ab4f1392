"""Per-manager digest schedule: `staff.digest_cron`, a manager's own crontab for the manager digest.

Empty (NULL) means the organisation's MANAGER_DIGEST_CRON. Either way the cron is read in the
person's own time zone (`staff.tz`, else ADVOCATE_TIMEZONE). Existing staff rows are kept as they are
and get NULL; downgrading drops only the column.

Revision ID: 0004_staff_digest
Revises: 0003_brief_votes
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_staff_digest'
down_revision = '0003_brief_votes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_cron', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('digest_cron')
