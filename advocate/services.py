"""The composition root: builds settings, stores, embedder and model once, and hands them out.

The CLI receives a `Services`; the Slack app and the jobs receive the parts they use (`bot_parts()`,
`job_parts()`); no other module builds these parts.
Heavy parts (the embedding model, the vector store) are opened on first use, so a command that does
not need them starts quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from slack_sdk import WebClient
from sqlalchemy import Engine, create_engine, event

from advocate.settings import Settings
from bot.parts import BotParts
from briefs.advisor import Advisor
from briefs.functions import Function, configured_functions
from briefs.grounded_writer import GroundedWriter
from briefs.lenses import LensMatcher, load_lenses
from briefs.llm_writer import LLMWriter
from briefs.tone import packaged_tone_model
from jobs.delivery import Deliverer
from jobs.parts import BriefingSources, JobParts
from knowledge.embeddings import SentenceTransformerEmbeddings
from knowledge.ingest import Ingestor, make_record_manager
from knowledge.lexical_index import LexicalIndex
from knowledge.retrieval import Retriever
from knowledge.vector_store import KnowledgeStore, open_chroma
from operations.reindex import CollectionPointer
from outbound.client import make_slack_client
from outbound.poster import OncePoster
from prompts import PROMPTS_DIR
from records.database import Records
from records.loyalty import FeedbackLookup, Loyalty
from records.staff import SenderPolicy

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler


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
        # ADVOCATE_COLLECTION, or the collection `advocate reindex` switched it to (read once, at start).
        live = CollectionPointer(engine=self.engine).live(self.settings.collection)
        return KnowledgeStore(
            client=client,
            collection_name=live,
            embeddings=self.embedder,
            lexical=LexicalIndex(engine=self.engine, collection=live),
            model_label=self.settings.embedding_model,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        return Ingestor(
            store=self.store,
            record_manager=make_record_manager(engine=self.engine, collection=self.store.collection_name),
        )

    @cached_property
    def retriever(self) -> Retriever:
        assert self.embedder is not None
        return Retriever(store=self.store, embedder=self.embedder)

    @cached_property
    def lens_matcher(self) -> LensMatcher:
        assert self.embedder is not None
        return LensMatcher(lenses=load_lenses(self.settings.lens_library), embedder=self.embedder)

    @cached_property
    def functions(self) -> list[Function]:
        return configured_functions(self.settings.advocate_functions, packaged=PROMPTS_DIR / "functions.yaml")

    @cached_property
    def chat_model(self) -> BaseChatModel | None:
        """The language model named by LLM_MODEL, or None (grounded briefs)."""
        if not self.settings.llm_model:
            return None
        return make_chat_model(self.settings.llm_model, timeout=self.settings.llm_timeout)

    @cached_property
    def advisor(self) -> Advisor:
        assert self.embedder is not None
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
        )

    # -- records, Slack and scheduled work (issue 5) ---------------------------------------------------
    @cached_property
    def records(self) -> Records:
        """The records database, migrated to the newest schema on first use."""
        if self.settings.records_url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return Records(engine=self.engine, timezone=self.settings.zone)

    @cached_property
    def slack(self) -> WebClient:
        """Slack Web API client (SLACK_BOT_TOKEN, SLACK_API_URL) with rate-limit, 5xx and connection retries."""
        return make_slack_client(self.settings)

    @cached_property
    def poster(self) -> OncePoster:
        """Posts to Slack at most once, even when Slack's answer is lost."""
        return OncePoster.for_client(self.slack)

    @cached_property
    def deliverer(self) -> Deliverer:
        """Sends digests and reminders exactly once, through the delivery ledger."""
        return Deliverer(
            ledger=self.records.deliveries, poster=self.poster, max_attempts=self.settings.delivery_max_attempts,
        )

    @cached_property
    def loyalty(self) -> Loyalty:
        """Tenure milestones, suggested thank-yous and the customer card."""
        settings = self.settings
        return Loyalty(
            records=self.records,
            feedback=FeedbackLookup(store=self.store),
            milestone_years=settings.milestone_years,
            sender_policy=SenderPolicy(
                levels=settings.thanks_sender_levels,
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
        return JobParts(**self._shared_parts(), deliverer=lambda: self.deliverer,
                        briefing_sources=self._briefing_sources)

    def bot_parts(self) -> BotParts:
        """What the Slack app uses; the heavier parts are built when it first needs them."""
        return BotParts(**self._shared_parts(), slack=lambda: self.slack, advisor=lambda: self.advisor,
                        ingestor=lambda: self.ingestor, store=lambda: self.store)

    def _briefing_sources(self) -> BriefingSources:
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
    from langchain_classic.chat_models import init_chat_model

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
