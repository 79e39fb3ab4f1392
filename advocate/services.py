"""The composition root: builds settings, stores, embedder and model once, and hands them out.

The CLI, the Slack app and the jobs receive a `Services`; no other module builds these parts.
Heavy parts (the embedding model, the vector store) are opened on first use, so a command that does
not need them starts quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine, create_engine, event

from advocate.settings import Settings
from knowledge.embeddings import SentenceTransformerEmbeddings
from knowledge.ingest import Ingestor, make_record_manager
from knowledge.lexical_index import LexicalIndex
from knowledge.retrieval import Retriever
from knowledge.vector_store import KnowledgeStore, open_chroma


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # WAL lets readers (the bot) and a writer (an ingest) work at once.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Services:
    settings: Settings
    embedder: Embeddings | None = None
    _closers: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.embedder is None:
            self.embedder = SentenceTransformerEmbeddings(model_name=self.settings.embedding_model)

    @cached_property
    def engine(self) -> Engine:
        if self.settings.records_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.records_url)
        self._closers.append(engine.dispose)
        return engine

    @cached_property
    def store(self) -> KnowledgeStore:
        if not self.settings.chroma_url:
            self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        client = open_chroma(chroma_url=self.settings.chroma_url, path=str(self.settings.chroma_dir))
        assert self.embedder is not None
        return KnowledgeStore(
            client=client,
            collection_name=self.settings.collection,
            embeddings=self.embedder,
            lexical=LexicalIndex(engine=self.engine, collection=self.settings.collection),
            model_label=self.settings.embedding_model,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        return Ingestor(
            store=self.store,
            record_manager=make_record_manager(engine=self.engine, collection=self.settings.collection),
        )

    @cached_property
    def retriever(self) -> Retriever:
        assert self.embedder is not None
        return Retriever(store=self.store, embedder=self.embedder)

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def build_services(settings: Settings, *, embedder: Embeddings | None = None) -> Services:
    """The one place where Advocate's parts are put together."""
    return Services(settings=settings, embedder=embedder)
