"""Tables that were created on first use now come from the migrations: the forgotten-customers list,
the live-collection pointer, and the lexical index (FTS5 on SQLite, tsvector + GIN on PostgreSQL).

A database of an earlier version may hold some of them already, made on first use with this same
shape: those are kept as they are, rows and all; only the missing ones are created. Downgrading keeps
them too (the earlier version creates them on first use and finds them there): dropping the forgotten
list would let a re-ingest bring a forgotten customer back.

Revision ID: 0005_one_schema_owner
Revises: 0004_staff_digest
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_one_schema_owner'
down_revision = '0004_staff_digest'
branch_labels = None
depends_on = None

# The lexical index: the chunk texts of every collection, searched by keyword (knowledge/lexical_index.py).
LEXICAL_SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_fts USING fts5("
    "chunk_id UNINDEXED, collection UNINDEXED, kind UNINDEXED, visibility UNINDEXED, "
    "body, tokenize='porter unicode61')",
)
LEXICAL_POSTGRESQL = (
    "CREATE TABLE IF NOT EXISTS knowledge_lexical ("
    "collection TEXT NOT NULL, chunk_id TEXT NOT NULL, kind TEXT, visibility TEXT, body TEXT NOT NULL, "
    "tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED, "
    "PRIMARY KEY (collection, chunk_id))",
    "CREATE INDEX IF NOT EXISTS knowledge_lexical_tsv ON knowledge_lexical USING GIN (tsv)",
)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'forgotten_customers' not in existing:
        op.create_table('forgotten_customers',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('forgotten_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_forgotten_customers'))
        )
    if 'knowledge_collections' not in existing:
        op.create_table('knowledge_collections',
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('live', sa.String(length=255), nullable=False),
        sa.Column('building', sa.String(length=255), nullable=True),
        sa.Column('retired', sa.Text(), nullable=False),
        sa.Column('embedding_model', sa.Text(), nullable=True),
        sa.Column('switched_at', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_knowledge_collections'))
        )
    for statement in LEXICAL_POSTGRESQL if op.get_bind().dialect.name == 'postgresql' else LEXICAL_SQLITE:
        op.execute(sa.text(statement))


def downgrade() -> None:
    # Kept on purpose (see above): the earlier version uses these tables as they are.
    pass
