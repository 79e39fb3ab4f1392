"""The composition root: builds settings, stores, embedder and model once, and hands them out.

Only the entry points (the CLI, the Slack server, the scheduler) build a `Services`; they hand each
part to whoever needs it: the Slack app and the jobs receive the parts they use (`bot_parts()`,
`job_parts()`), never the whole. Every part is built on first use and imports its libraries then, so
building a `Services` costs nothing and a command that needs only the records never loads the
vector store, LangChain or the embedding model.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from advocate.settings import Settings

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from chromadb import ClientAPI
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel
    from slack_sdk import WebClient
    from sqlalchemy import Engine

    from bot.parts import BotParts
    from briefs.advisor import Advisor
    from briefs.functions import Function
    from briefs.lenses import LensMatcher
    from jobs.delivery import Deliverer
    from jobs.parts import BriefingSources, JobParts
    from knowledge.ingest import Ingestor
    from knowledge.retrieval import Retriever
    from knowledge.vector_store import KnowledgeStore
    from outbound.poster import OncePoster
    from records.database import Records
    from records.loyalty import Loyalty


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            _use_write_ahead_log(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _use_write_ahead_log(cursor: Any, *, patience_seconds: float = 30.0) -> None:
    """Switch the SQLite file to WAL, which lets readers (the bot) and a writer (an ingest) work at once.

    The mode is stored in the file, so only the first connection to a new file changes it. Changing
    it needs the file to itself, and SQLite answers "database is locked" at once, without waiting
    for its busy timeout, when another process is opening the same new file: so wait and retry.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Services:
    def __init__(self, *, settings: Settings, embedder: Embeddings | None = None) -> None:
        # The validated settings every part is built from.
        self.settings = settings
        # An embedder to use instead of EMBEDDING_MODEL's (tests and benchmarks give one).
        self._given_embedder = embedder
        # What `close` releases, in the reverse order of building.
        self._closers: list[Callable[[], None]] = []

    @cached_property
    def embedder(self) -> Embeddings:
        """The embedding model named by EMBEDDING_MODEL (its weights load on the first text embedded)."""
        if self._given_embedder is not None:
            return self._given_embedder
        from knowledge.embeddings import SentenceTransformerEmbeddings

        return SentenceTransformerEmbeddings(model_name=self.settings.embedding_model)

    @cached_property
    def engine(self) -> Engine:
        if self.settings.records_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.records_url)
        self._closers.append(engine.dispose)
        return engine

    @cached_property
    def records(self) -> Records:
        """The records database, migrated to the newest schema on first use."""
        from records.database import Records

        return Records(engine=self.engine, timezone=self.settings.zone)

    @cached_property
    def chroma(self) -> ClientAPI:
        """The Chroma client: embedded in the data dir, or the server at CHROMA_URL."""
        from knowledge.chroma import open_chroma

        if not self.settings.chroma_url:
            self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return open_chroma(chroma_url=self.settings.chroma_url, path=str(self.settings.chroma_dir))

    @cached_property
    def live_collection(self) -> str:
        """ADVOCATE_COLLECTION, or the collection `advocate reindex` switched it to (read once, at start)."""
        from records.collection_pointer import CollectionPointer

        return CollectionPointer(engine=self.records.engine).live(self.settings.collection)

    @cached_property
    def store(self) -> KnowledgeStore:
        from knowledge.lexical_index import LexicalIndex
        from knowledge.vector_store import KnowledgeStore

        return KnowledgeStore(
            client=self.chroma,
            collection_name=self.live_collection,
            embeddings=self.embedder,
            # In the records database, migrated (`live_collection` opened it).
            lexical=LexicalIndex(engine=self.records.engine, collection=self.live_collection),
            model_label=self.settings.embedding_model,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        from knowledge.ingest import Ingestor, make_record_manager

        return Ingestor(
            store=self.store,
            record_manager=make_record_manager(engine=self.engine, collection=self.store.collection_name),
            forgotten=self.records.forgotten,
        )

    @cached_property
    def retriever(self) -> Retriever:
        from knowledge.retrieval import Retriever

        return Retriever(store=self.store, embedder=self.embedder)

    @cached_property
    def lens_matcher(self) -> LensMatcher:
        from briefs.lenses import LensMatcher, load_lenses

        return LensMatcher(lenses=load_lenses(self.settings.lens_library), embedder=self.embedder)

    @cached_property
    def functions(self) -> list[Function]:
        from briefs.functions import configured_functions
        from prompts import PROMPTS_DIR

        return configured_functions(self.settings.advocate_functions, packaged=PROMPTS_DIR / "functions.yaml")

    @cached_property
    def chat_model(self) -> BaseChatModel | None:
        """The language model named by LLM_MODEL, or None (grounded briefs)."""
        if not self.settings.llm_model:
            return None
        return make_chat_model(self.settings.llm_model, timeout=self.settings.llm_timeout)

    @cached_property
    def advisor(self) -> Advisor:
        from briefs.advisor import Advisor
        from briefs.base_rates import BaseRates
        from briefs.grounded_writer import GroundedWriter
        from briefs.llm_writer import LLMWriter
        from briefs.tone import packaged_tone_model
        from prompts import PROMPTS_DIR

        grounded = GroundedWriter(embedder=self.embedder)
        writer: GroundedWriter | LLMWriter = grounded
        if self.chat_model is not None:
            writer = LLMWriter(
                model=self.chat_model, fallback=grounded, prompts_dir=PROMPTS_DIR, timeout=self.settings.llm_timeout
            )
        return Advisor(
            retriever=self.retriever,
            lenses=self.lens_matcher,
            functions=self.functions,
            writer=writer,
            records=self.records,
            tone_model=packaged_tone_model(),
            bands=self.settings.score_bands,
            base_rates=BaseRates(store=self.store, customers=self.records.customers),
        )

    @cached_property
    def slack(self) -> WebClient:
        """Slack Web API client (SLACK_BOT_TOKEN, SLACK_API_URL) with rate-limit, 5xx and connection retries."""
        from outbound.client import make_slack_client

        return make_slack_client(self.settings)

    @cached_property
    def deliverer(self) -> Deliverer:
        """Sends digests and reminders exactly once, through the delivery ledger."""
        from jobs.delivery import Deliverer

        return Deliverer(
            ledger=self.records.deliveries, poster=self.poster, max_attempts=self.settings.delivery_max_attempts,
        )

    @cached_property
    def poster(self) -> OncePoster:
        """Posts to Slack at most once, even when Slack's answer is lost."""
        from outbound.poster import OncePoster

        return OncePoster.for_client(self.slack)

    @cached_property
    def loyalty(self) -> Loyalty:
        """Tenure milestones, suggested thank-yous and the customer card."""
        from knowledge.chroma import open_collection
        from knowledge.customer_feedback import FeedbackLookup
        from records.loyalty import Loyalty
        from records.thanks_rule import ThanksRule

        settings = self.settings
        feedback = FeedbackLookup(
            collection=lambda: open_collection(self.chroma, self.live_collection, model_label=settings.embedding_model)
        )
        return Loyalty(
            records=self.records,
            feedback=feedback,
            milestone_years=settings.milestone_years,
            bands=settings.score_bands,
            rule=ThanksRule(
                tiers=settings.thanks_tiers,
                weekly_caps=dict(settings.thanks_weekly_caps),
                by_segment=dict(settings.thanks_sender_by_segment),
                default=settings.thanks_default_sender,
            ),
        )

    @cached_property
    def scheduler(self) -> BackgroundScheduler:
        """The scheduler (not started): `jobs.scheduler.start(services.scheduler, settings)` starts it."""
        from jobs.scheduler import build_scheduler

        scheduler = build_scheduler(self.job_parts(), engine=self.engine)

        def _stop() -> None:
            if scheduler.running:
                scheduler.shutdown(wait=True)

        self._closers.append(_stop)
        return scheduler

    def job_parts(self) -> JobParts:
        """What the scheduled jobs use; the heavier parts are built when a job first needs them."""
        from jobs.parts import JobParts

        return JobParts(**self._shared_parts(), deliverer=lambda: self.deliverer,
                        briefing_sources=self._briefing_sources)

    def bot_parts(self) -> BotParts:
        """What the Slack app uses; the heavier parts are built when it first needs them."""
        from bot.parts import BotParts

        return BotParts(**self._shared_parts(), slack=lambda: self.slack, advisor=lambda: self.advisor,
                        ingestor=lambda: self.ingestor, store=lambda: self.store)

    def _briefing_sources(self) -> BriefingSources:
        from jobs.parts import BriefingSources

        return BriefingSources(retriever=self.retriever, lens_matcher=self.lens_matcher,
                               record_manager=self.ingestor.record_manager)

    def _shared_parts(self) -> dict[str, Any]:
        return {"settings": self.settings, "records": self.records, "functions": self.functions,
                "loyalty": lambda: self.loyalty}

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


class ModelSetupError(Exception):
    """LLM_MODEL names a model that cannot be set up; the message says what to install or fix."""


def make_chat_model(spec: str, *, timeout: float) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    provider = spec.split(":", 1)[0]
    try:
        return init_chat_model(spec, timeout=timeout, temperature=0)
    except ImportError:
        raise ModelSetupError(
            f"LLM_MODEL provider {provider!r} needs its LangChain package: pip install 'advocate[{provider}]' "
            f"(or langchain-{provider})"
        ) from None
    except ValueError as exc:
        raise ModelSetupError(f"LLM_MODEL could not be set up: {str(exc).splitlines()[0]}") from None


def build_services(settings: Settings, *, embedder: Embeddings | None = None) -> Services:
    """The one place where Advocate's parts are put together."""
    return Services(settings=settings, embedder=embedder)
