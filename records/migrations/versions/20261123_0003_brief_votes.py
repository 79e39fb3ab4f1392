"""Brief votes: "Helpful" / "Not helpful" are recorded against the brief, one vote per person per brief.

Until now a vote was kept per person per decision thread, so a second brief in the same thread shared
(and overwrote) the first one's votes. `brief_feedback.brief_id` names the brief voted on.

Existing votes are kept, every one of them. Each is given the brief it was most likely cast on: the
latest brief in its thread delivered no later than the vote. A vote whose thread has no recorded
brief keeps an empty `brief_id` and still counts for its decision. Should two old votes by one person
land on the same brief, the newer one holds it and the older one keeps an empty `brief_id`.

Revision ID: 0003_brief_votes
Revises: 0002_slack
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_brief_votes'
down_revision = '0002_slack'
branch_labels = None
depends_on = None

# The brief each existing vote was cast on: the latest in its thread delivered no later than the vote.
_BACKFILL = """
UPDATE brief_feedback SET brief_id = (
    SELECT b.id FROM slack_briefs b
    WHERE b.channel = brief_feedback.channel AND b.thread_ts = brief_feedback.thread_ts
      AND b.created_at <= brief_feedback.created_at
    ORDER BY b.created_at DESC, b.id DESC
    LIMIT 1
)
WHERE brief_id IS NULL AND channel <> '' AND thread_ts <> ''
"""
# One vote per person per brief: the newest keeps the brief, older ones keep only their decision.
_ONE_PER_PERSON = """
UPDATE brief_feedback SET brief_id = NULL
WHERE brief_id IS NOT NULL AND id < (
    SELECT MAX(other.id) FROM brief_feedback other
    WHERE other.brief_id = brief_feedback.brief_id AND other.slack_user_id = brief_feedback.slack_user_id
)
"""


def upgrade() -> None:
    with op.batch_alter_table('brief_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brief_id', sa.String(length=32), nullable=True))
    op.execute(sa.text(_BACKFILL))
    op.execute(sa.text(_ONE_PER_PERSON))
    with op.batch_alter_table('brief_feedback', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_brief_feedback_brief_id_slack_briefs'), 'slack_briefs',
                                    ['brief_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint('uq_brief_feedback_brief_user', ['brief_id', 'slack_user_id'])


def downgrade() -> None:
    # Back to one vote per person per thread is not needed to keep the rows: they all stay.
    with op.batch_alter_table('brief_feedback', schema=None) as batch_op:
        batch_op.drop_constraint('uq_brief_feedback_brief_user', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_brief_feedback_brief_id_slack_briefs'), type_='foreignkey')
        batch_op.drop_column('brief_id')
