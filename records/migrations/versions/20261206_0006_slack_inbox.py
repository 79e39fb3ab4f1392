"""The Slack inbox: Events API deliveries acknowledged to Slack whose work is not finished yet.

A row is written before the acknowledgement and removed when the event's work ends, so a process
killed in between leaves the question here and the next start answers it (bot/inbox.py). A new,
empty table: nothing already stored changes. Downgrading drops it with whatever it holds (at most
the few questions in flight when the app stopped).

Revision ID: 0006_slack_inbox
Revises: 0005_one_schema_owner
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_slack_inbox'
down_revision = '0005_one_schema_owner'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_inbox',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=False),
    sa.Column('resumed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_slack_inbox'))
    )
    with op.batch_alter_table('slack_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_inbox_accepted_at'), ['accepted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slack_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_inbox_accepted_at'))
    op.drop_table('slack_inbox')
