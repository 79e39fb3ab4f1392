"""Slack briefs: each brief the Slack app delivered, with its decision, asker and what it showed
(for the "Full brief" button, App Home and follow-ups in answered threads).

Revision ID: 0002_slack
Revises: 0001
Create Date: 2026-11-23 01:48:56.402915
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_slack'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_briefs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('thread_ts', sa.String(length=32), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=False),
    sa.Column('asked_by', sa.String(length=32), nullable=False),
    sa.Column('how', sa.String(length=20), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('masked', sa.Boolean(), nullable=False),
    sa.Column('view', sa.JSON(), nullable=False),
    sa.Column('permalink', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_slack_briefs_decision_id_decisions'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_briefs'))
    )
    with op.batch_alter_table('slack_briefs', schema=None) as batch_op:
        batch_op.create_index('ix_slack_briefs_asked_by_created', ['asked_by', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_slack_briefs_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index('ix_slack_briefs_thread', ['channel', 'thread_ts'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('slack_briefs', schema=None) as batch_op:
        batch_op.drop_index('ix_slack_briefs_thread')
        batch_op.drop_index(batch_op.f('ix_slack_briefs_decision_id'))
        batch_op.drop_index('ix_slack_briefs_asked_by_created')

    op.drop_table('slack_briefs')
