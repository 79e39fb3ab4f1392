"""Running the app: Socket Mode (`advocate serve`) or the HTTP Events API (`advocate serve --http`).

HTTP mode is a small ASGI app served by uvicorn: `POST /slack/events` goes to Bolt on a thread (so
one slow request never holds up another's acknowledgement) and `GET /healthz` checks the stores.

An Events API delivery whose signature checks out is acknowledged at once, on the event loop, and handed
to Bolt afterwards: Slack wants only a 200 for it, and while briefs keep both cores busy a trip through
a thread and Bolt's middleware before answering would cost tens of milliseconds. Everything else (slash
commands, buttons, modal submissions, url_verification, a bad signature) is answered by Bolt, whose
answer carries what Slack shows.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text

from advocate.settings import Settings
from bot.runtime import BotRuntime
from bot.workers import lower_priority_of_threads

if TYPE_CHECKING:
    from knowledge.vector_store import KnowledgeStore

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not from Slack


class TokenError(Exception):
    """A Slack token or secret is missing or malformed; the message is one line naming the setting."""


_TOKEN_SHAPES = {
    "SLACK_BOT_TOKEN": (re.compile(r"xoxb-[A-Za-z0-9-]{10,}"), "a bot token starting with xoxb-"),
    "SLACK_APP_TOKEN": (re.compile(r"xapp-[A-Za-z0-9-]{10,}"), "an app-level token starting with xapp- "
                        "(Basic Information → App-Level Tokens, scope connections:write)"),
    "SLACK_SIGNING_SECRET": (re.compile(r"[A-Za-z0-9]{16,}"), "the Signing Secret from Basic Information"),
}


def check_tokens(settings: Settings, *, http: bool) -> None:
    """The tokens the chosen mode needs are there and look right. Values are never echoed."""
    needed = {"SLACK_BOT_TOKEN": settings.slack_bot_token.get_secret_value()}
    if http:
        needed["SLACK_SIGNING_SECRET"] = settings.slack_signing_secret.get_secret_value()
    else:
        needed["SLACK_APP_TOKEN"] = settings.slack_app_token.get_secret_value()
    for name, value in needed.items():
        pattern, expected = _TOKEN_SHAPES[name]
        if not value:
            mode = "HTTP mode (--http)" if http else "Socket Mode"
            raise TokenError(f"{name} is not set; {mode} needs {expected}. See docs/slack-setup.md")
        if not pattern.fullmatch(value.strip()):
            raise TokenError(f"{name} is malformed: expected {expected}")


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas (as MALLOC_ARENA_MAX would). Each listener and worker thread
    would otherwise get an arena of its own that grows and is never given back: memory creeps up."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def prepare(bot: BotRuntime) -> None:
    """Ready for the first question: the model loaded and one brief written (its first call is slow).

    Then what is loaded is frozen out of the garbage collector's reach: a full collection walks every
    object, and with a language model's worth of them that pause (~0.1 s) would land on some
    acknowledgement. A short GIL switch interval keeps acks from waiting behind a brief's Python work.
    """
    try:
        advisor = bot.parts.advisor()
        advisor.warm()  # the sentences briefs quote, embedded before the first question
        advisor.brief("We plan to change how customers reach us")
    except Exception:  # an empty knowledge base still serves; the real question will say what is wrong
        log.warning("warm-up brief failed", exc_info=True)
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.0005)
    # Chroma's query threads exist now (the warm-up brief started them): they do brief work, so they
    # yield the CPU to acknowledgements as the brief workers do (bot/workers.py).
    lower_priority_of_threads()


# -- health ---------------------------------------------------------------------------------------------

Health = Callable[[], tuple[bool, dict[str, str]]]


def health(*, engine: Engine, store: Callable[[], KnowledgeStore]) -> tuple[bool, dict[str, str]]:
    """Can the records database (`engine`) and the knowledge store be read? Each check says ok or what failed."""
    checks: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["records"] = "ok"
    except Exception as exc:  # a health check reports, it does not raise
        checks["records"] = f"failed: {type(exc).__name__}"
    try:
        store().count()
        checks["knowledge"] = "ok"
    except Exception as exc:
        checks["knowledge"] = f"failed: {type(exc).__name__}"
    return all(v == "ok" for v in checks.values()), checks


# -- HTTP (ASGI) -------------------------------------------------------------------------------------------

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class SlackHTTPApp:
    """The ASGI application of HTTP mode."""

    def __init__(self, *, app: App, settings: Settings, health: Health, bot: BotRuntime | None = None) -> None:
        # The Bolt app (verifies signatures, dispatches to listeners).
        self.app = app
        # The health check behind /healthz.
        self.health = health
        # The app's runtime: acknowledged events go to Bolt on its event pool (without one, Bolt answers all).
        self.bot = bot
        secret = settings.slack_signing_secret.get_secret_value()
        self._verifier = SignatureVerifier(secret) if secret and bot is not None else None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == EVENTS_PATH and method == "POST":
            body = await _read_body(receive)
            if body is None:
                await _respond(send, 413, b"payload too large", "text/plain")
                return
            headers: dict[str, list[str]] = {}
            for key, value in scope.get("headers", []):
                headers.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
            query = scope.get("query_string", b"").decode("latin-1")
            text = body.decode("utf-8")
            request = BoltRequest(body=text, query=query, headers=headers)
            if self._signed_event(text, headers):
                await _respond(send, 200, b"", "text/plain;charset=utf-8")
                assert self.bot is not None  # _signed_event is never true without one
                try:
                    self.bot.event_pool.submit(self._deliver, request)
                except RuntimeError:  # shutting down: Slack got its 200, so say what was dropped
                    log.warning("the app is stopping; an acknowledged event was not handled")
                return
            # Bolt waits for ack() on this thread; the event loop stays free for other requests.
            response = await asyncio.to_thread(self.app.dispatch, request)
            content_type = (response.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
            await _respond(send, response.status, (response.body or "").encode("utf-8"), content_type)
            return
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            started = time.perf_counter()
            ok, checks = await asyncio.to_thread(self.health)
            payload = {"ok": ok, "checks": checks, "ms": round((time.perf_counter() - started) * 1000, 1)}
            await _respond(send, 200 if ok else 503, json.dumps(payload).encode(), "application/json")
            return
        await _respond(send, 404, b"not found", "text/plain")

    def _signed_event(self, body: str, headers: dict[str, list[str]]) -> bool:
        """An Events API delivery (`event_callback`) with Slack's valid, recent signature."""
        if self._verifier is None or not body.startswith("{") or "event_callback" not in body:
            return False
        timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
        signature = (headers.get("x-slack-signature") or [""])[0]
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return False  # Bolt answers it: 401
        try:
            return json.loads(body).get("type") == "event_callback"
        except (ValueError, AttributeError):
            return False

    def _deliver(self, request: BoltRequest) -> None:
        """Bolt runs the listeners of an event already acknowledged (its own answer goes nowhere)."""
        try:
            response = self.app.dispatch(request)
        except Exception:  # Bolt reports listener errors itself; this is Bolt failing
            log.exception("an acknowledged event could not be dispatched")
            return
        if response.status >= 400:
            log.warning("an acknowledged event was refused by Bolt (status %s)", response.status)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def http_app(app: App, bot: BotRuntime) -> SlackHTTPApp:
    """The ASGI app of HTTP mode for this Bolt app and its runtime; /healthz reads the runtime's stores."""
    return SlackHTTPApp(app=app, settings=bot.settings, bot=bot,
                        health=lambda: health(engine=bot.records.engine, store=bot.parts.store))


def run_http(app: App, bot: BotRuntime, *, host: str, port: int) -> None:
    import uvicorn

    log.warning("Advocate listening for Slack on http://%s:%d%s (health: %s)", host, port, EVENTS_PATH, HEALTH_PATH)
    # log_config=None: uvicorn's lines go through our handler (ADVOCATE_LOG_FORMAT, redaction), not its own.
    uvicorn.run(http_app(app, bot), host=host, port=port, log_level="warning",
                access_log=False, log_config=None)


def run_socket_mode(app: App, *, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token=app_token)
    log.warning("Advocate connected to Slack in Socket Mode")
    handler.start()
