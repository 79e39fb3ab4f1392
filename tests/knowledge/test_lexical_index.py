"""The keyword index beside the vector store, on SQLite (FTS5) and on PostgreSQL (tsvector): the same
questions find the same chunks on both, whatever punctuation people type."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from advocate.services import make_engine
from knowledge.lexical_index import LexicalIndex
from records.migrate import upgrade_to_head

ROWS = [
    ("exit-fee", "research", "internal", "Customers who pay an exit fee rarely come back."),
    ("follow-up", "feedback", "internal", "Nobody made the follow-up call they promised."),
    ("wont-load", "feedback", "internal", "The app won't load on my phone since the update."),
    ("ivr", "research", "internal", "The IVR menu has nine options and no way to reach a person."),
    ("board", "research", "restricted", "Board note: an exit fee rise is planned for April."),
    ("email", "culture", "internal", "Reply to every e-mail within one working day."),
]


@pytest.fixture
def index(database_url: str) -> Iterator[LexicalIndex]:
    """An index on a fresh records database: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)  # the migrations create the index's tables
    lexical = LexicalIndex(engine=engine, collection="knowledge")
    lexical.upsert(ROWS)
    yield lexical
    engine.dispose()


def ids(hits: list[tuple[str, float]]) -> list[str]:
    return [chunk_id for chunk_id, _ in hits]


def test_exact_terms_rank_the_chunk_that_has_them_first(index: LexicalIndex) -> None:
    assert ids(index.search("What about the IVR?"))[0] == "ivr"
    found = ids(index.search("exit fee", visibilities=["internal"]))
    assert found == ["exit-fee"]
    assert ids(index.search("exit fee", visibilities=["internal", "restricted"]))[:2] in (
        ["exit-fee", "board"], ["board", "exit-fee"])
    assert ids(index.search("exit fee", kinds=["feedback"])) == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("follow-up", "follow-up"),  # a hyphenated word, and nothing else to find it by
        ("won't", "wont-load"),  # an apostrophe
        ("e-mail", "email"),
        ('"IVR" & (', "ivr"),  # query syntax characters are punctuation, not operators
        ("!nine: *", "ivr"),
    ],
)
def test_words_with_punctuation_are_found(index: LexicalIndex, question: str, expected: str) -> None:
    assert expected in ids(index.search(question)), question


def test_questions_without_topic_words_find_nothing_and_do_not_fail(index: LexicalIndex) -> None:
    assert index.search("what do we think about this?") == []
    assert index.search("?!& | :*") == []


def test_collections_in_one_database_stay_apart_and_writes_replace(index: LexicalIndex) -> None:
    other = LexicalIndex(engine=index.engine, collection="other")
    other.upsert([("ivr", "research", "internal", "Weekend opening hours for the shops.")])
    assert ids(other.search("IVR menu")) == []
    assert ids(index.search("IVR menu")) == ["ivr"]
    index.upsert([("ivr", "research", "internal", "The phone menu was shortened to three options.")])
    assert ids(index.search("IVR")) == []
    assert ids(index.search("shortened phone menu"))[0] == "ivr"
    index.delete(["ivr", "exit-fee"])
    assert ids(index.search("exit fee", visibilities=["internal", "restricted"])) == ["board"]
    index.drop_collection()
    assert index.search("board note") == []
    assert ids(other.search("weekend shops")) == ["ivr"]


def test_processes_starting_together_on_a_fresh_postgresql_create_the_tables_once(postgres_url: str) -> None:
    """Several bot processes start at once: each migrates the records database (which creates the lexical
    index) and creates the record manager's table if missing. Unlocked, all but one failed on a duplicate
    type in PostgreSQL's catalog."""
    from knowledge.ingest import make_record_manager

    starters = 4
    engines = [make_engine(postgres_url) for _ in range(starters)]
    barrier = threading.Barrier(starters)
    failures: list[str] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            upgrade_to_head(engine)
            make_record_manager(engine=engine, collection="knowledge")
        except Exception as exc:  # reported below, with what failed
            failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        with engines[0].connect() as conn:
            tables = set(conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )).scalars())
        assert {"knowledge_lexical", "upsertion_record"} <= tables
    finally:
        for engine in engines:
            engine.dispose()
