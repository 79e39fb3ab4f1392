"""Records tables: customers, staff, promises and their events, thanks, advocates, decisions,
concerns, brief feedback, processed Slack events and digest deliveries.

Times are naive UTC columns (the models read them back as aware UTC).

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 01:44:31.816088
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advocates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('staff_handle', sa.String(length=100), nullable=True),
    sa.Column('function', sa.String(length=50), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_mentioned_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advocates')),
    sa.UniqueConstraint('slack_user_id', name=op.f('uq_advocates_slack_user_id'))
    )
    with op.batch_alter_table('advocates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advocates_function'), ['function'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('customer_since', sa.Date(), nullable=False),
    sa.Column('anniversary', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('segment', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_anniversary', ['anniversary', 'customer_since'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_name_key'), ['name_key'], unique=False)
        batch_op.create_index('ix_customers_owner_anniversary', ['owner', 'anniversary'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('thread_ts', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('lenses', sa.JSON(), nullable=False),
    sa.Column('function', sa.String(length=50), nullable=True),
    sa.Column('advocates', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_function_created', ['function', 'created_at'], unique=False)
        batch_op.create_index('ix_decisions_thread', ['channel', 'thread_ts'], unique=False)

    op.create_table('digest_deliveries',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('period', sa.String(length=150), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('chart_png', sa.LargeBinary(), nullable=True),
    sa.Column('slack_channel', sa.String(length=32), nullable=True),
    sa.Column('slack_ts', sa.String(length=32), nullable=True),
    sa.Column('chart_file_id', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_digest_deliveries'))
    )
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_digest_deliveries_status_created', ['status', 'created_at'], unique=False)

    op.create_table('slack_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_slack_events'))
    )
    with op.batch_alter_table('slack_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_events_received_at'), ['received_at'], unique=False)

    op.create_table('staff',
    sa.Column('handle', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('function', sa.String(length=50), nullable=False),
    sa.Column('manager', sa.String(length=100), nullable=True),
    sa.Column('slack_user_id', sa.String(length=32), nullable=True),
    sa.Column('tz', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('handle', name=op.f('pk_staff')),
    sa.UniqueConstraint('slack_user_id', name=op.f('uq_staff_slack_user_id'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_manager'), ['manager'], unique=False)

    op.create_table('brief_feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('thread_ts', sa.String(length=32), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'],
                            name=op.f('fk_brief_feedback_decision_id_decisions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brief_feedback'))
    )
    with op.batch_alter_table('brief_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_brief_feedback_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_brief_feedback_decision_id'), ['decision_id'], unique=False)

    op.create_table('concerns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('raised_by', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'],
                            name=op.f('fk_concerns_decision_id_decisions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concerns'))
    )
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concerns_decision_id'), ['decision_id'], unique=False)

    op.create_table('promises',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('due_tz', sa.String(length=64), nullable=False),
    sa.Column('permalink', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_promises_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promises'))
    )
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.create_index('ix_promises_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index('ix_promises_due', ['due_at'], unique=False)
        batch_op.create_index('ix_promises_owner_due', ['owner', 'due_at'], unique=False)
        batch_op.create_index('ix_promises_status_due', ['status', 'due_at'], unique=False)

    op.create_table('thanks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('milestone', sa.Integer(), nullable=False),
    sa.Column('thanked_at', sa.DateTime(), nullable=False),
    sa.Column('thanked_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_thanks_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thanks')),
    sa.UniqueConstraint('customer_id', 'milestone', name='uq_thanks_customer_milestone')
    )
    op.create_table('promise_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('promise_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=True),
    sa.Column('new_value', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['promise_id'], ['promises.id'],
                            name=op.f('fk_promise_events_promise_id_promises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promise_events'))
    )
    with op.batch_alter_table('promise_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promise_events_promise_id'), ['promise_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('promise_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promise_events_promise_id'))

    op.drop_table('promise_events')
    op.drop_table('thanks')
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_index('ix_promises_status_due')
        batch_op.drop_index('ix_promises_owner_due')
        batch_op.drop_index('ix_promises_due')
        batch_op.drop_index('ix_promises_customer_status')

    op.drop_table('promises')
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concerns_decision_id'))

    op.drop_table('concerns')
    with op.batch_alter_table('brief_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_brief_feedback_decision_id'))
        batch_op.drop_index(batch_op.f('ix_brief_feedback_created_at'))

    op.drop_table('brief_feedback')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_manager'))

    op.drop_table('staff')
    with op.batch_alter_table('slack_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_events_received_at'))

    op.drop_table('slack_events')
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_deliveries_status_created')

    op.drop_table('digest_deliveries')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_thread')
        batch_op.drop_index('ix_decisions_function_created')

    op.drop_table('decisions')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_owner_anniversary')
        batch_op.drop_index(batch_op.f('ix_customers_name_key'))
        batch_op.drop_index('ix_customers_anniversary')

    op.drop_table('customers')
    with op.batch_alter_table('advocates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advocates_function'))

    op.drop_table('advocates')
