"""Running the app: Socket Mode (`advocate serve`) or the HTTP Events API (`advocate serve --http`).

HTTP mode is a small ASGI app served by uvicorn: `POST /slack/events` goes to Bolt on a thread (so
one slow request never holds up another's acknowledgement); `GET /healthz` says the process is up
(liveness) and `GET /readyz` that it is warmed up and its stores answer (readiness). It listens at once
and warms up beside (`warm_up`): an orchestrator sees a live process while the model loads.

Every request is checked here before Bolt sees it: a body that is not UTF-8, a missing, malformed, stale
or wrong signature, a body that is not JSON or a form as Slack sends them get 400 or 401 and one warning
line. An Events API delivery whose signature checks out is recorded in the inbox (bot/inbox.py: on a
writer thread of its own, a burst in one transaction), then acknowledged on the event loop, and handed to
Bolt afterwards: Slack wants only a 200 for it, and while briefs keep both cores busy a trip through Bolt's
middleware before answering would cost tens of milliseconds. Everything else (slash commands, buttons,
modal submissions, url_verification) is answered by Bolt, whose answer carries what Slack shows.

Socket Mode records Events API deliveries in the same inbox before acknowledging them (bot/socket_mode.py).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.request import BoltRequest
from sqlalchemy import Engine, text

from advocate.settings import Settings
from bot.runtime import BotRuntime
from bot.workers import lower_priority_of_threads

if TYPE_CHECKING:
    from knowledge.vector_store import KnowledgeStore

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"  # liveness: the process answers
READY_PATH = "/readyz"  # readiness: warmed up and the stores answer
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not from Slack
SIGNATURE_MAX_AGE_SECONDS = 60 * 5  # Slack's rule (and slack_sdk's): older timestamps may be replays


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
        # The store checks behind /readyz.
        self.health = health
        # The app's runtime: acknowledged events go to Bolt on its event pool (without one, Bolt answers all).
        self.bot = bot
        secret = settings.slack_signing_secret.get_secret_value()
        self._secret = secret.encode() if secret else None

    def warmed(self) -> bool:
        """Has the app finished warming up (`warm_up`)? An app without a runtime has nothing to warm."""
        return self.bot is None or self.bot.ready.is_set()

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
            await self._slack_request(scope, receive, send)
            return
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            # Liveness: the process answers. Nothing it waits on (a store, the warm-up) fails it: an
            # orchestrator restarting a process for those would only make a slow start slower.
            payload = {"ok": True, "ready": self.warmed()}
            await _respond(send, 200, json.dumps(payload).encode(), "application/json")
            return
        if path == READY_PATH and method in ("GET", "HEAD"):
            # Readiness: warmed up (model loaded, what a crash left taken up) and the stores answer.
            started = time.perf_counter()
            ok, checks = await asyncio.to_thread(self.health)
            checks = {"warm": "ok" if self.warmed() else "warming up", **checks}
            ok = ok and self.warmed()
            payload = {"ok": ok, "checks": checks, "ms": round((time.perf_counter() - started) * 1000, 1)}
            await _respond(send, 200 if ok else 503, json.dumps(payload).encode(), "application/json")
            return
        await _respond(send, 404, b"not found", "text/plain")

    async def _slack_request(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        if body is None:
            await _refuse(send, 413, "the body is over 1 MB; Slack's requests are far smaller")
            return
        headers: dict[str, list[str]] = {}
        for key, value in scope.get("headers", []):
            headers.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        refusal = self._check_signature(body, headers)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            await _refuse(send, 400, "the body is not UTF-8 text, as Slack's always is")
            return
        payload = slack_payload(text, (headers.get("content-type") or [""])[0])
        if isinstance(payload, str):
            await _refuse(send, 400, payload)
            return
        event = self.bot is not None and payload.get("type") == "event_callback" and payload.get("event_id")
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            # Bolt reads who, where and what from the payload as it builds the request.
            request = (BoltRequest(body=payload, mode="socket_mode") if event  # verified here: not again
                       else BoltRequest(body=text, query=query, headers=headers))
        except (AttributeError, TypeError, KeyError, IndexError, ValueError):
            await _refuse(send, 400, "the payload's fields are not shaped as Slack's are")
            return
        if event:
            await self._accept_event(send, text, request, headers)
            return
        # Bolt waits for ack() on this thread; the event loop stays free for other requests.
        response = await asyncio.to_thread(self.app.dispatch, request)
        content_type = (response.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
        await _respond(send, response.status, (response.body or "").encode("utf-8"), content_type)

    def _check_signature(self, body: bytes, headers: dict[str, list[str]]) -> tuple[int, str] | None:
        """None when the request carries Slack's valid, recent signature; else the status and the reason.
        (Without a signing secret Bolt decides: it was built not to verify.) Checked on the bytes as they
        came, before anything reads them."""
        if self._secret is None:
            return None
        timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
        signature = (headers.get("x-slack-signature") or [""])[0]
        if not timestamp or not signature:
            return 401, "unsigned: no X-Slack-Signature or X-Slack-Request-Timestamp header"
        if not timestamp.isascii() or not timestamp.isdigit():
            return 400, "X-Slack-Request-Timestamp is not a number of seconds"
        if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
            return 401, "X-Slack-Request-Timestamp is more than 5 minutes from now (stale or replayed)"
        expected = "v0=" + hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("latin-1")):
            return 401, "the signature does not match the body (check SLACK_SIGNING_SECRET)"
        return None

    async def _accept_event(self, send: Send, text: str, request: BoltRequest,
                            headers: dict[str, list[str]]) -> None:
        """An Events API delivery: recorded in the inbox, then acknowledged on the event loop, then handed to
        Bolt (bot/inbox.py). One that cannot be recorded is not acknowledged: Slack delivers it again."""
        assert self.bot is not None
        event_id = str(request.body["event_id"])
        try:
            accepted_at = await self.bot.inbox.accept(event_id, text)
        except Exception as exc:  # the records database is down: a 503 makes Slack deliver it again later
            log.warning("could not record event %s (%s); answered 503 so that Slack delivers it again",
                        event_id, type(exc).__name__)
            await _respond(send, 503, b"cannot record the event now", "text/plain;charset=utf-8")
            return
        await _respond(send, 200, b"", "text/plain;charset=utf-8")
        if accepted_at is None:
            retry = (headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("event %s was redelivered (retry %s); already accepted", event_id, retry)
            return
        self.bot.inbox.start(event_id, request, accepted_at)


def slack_payload(body: str, content_type: str) -> dict[str, Any] | str:
    """The request's payload, read as Slack sends it (JSON for events, a form for commands, a form with a
    JSON `payload` field for interactivity) — or, when the body is none of those, what is wrong with it."""
    if not body.strip():
        return "the body is empty"
    if content_type.split(";")[0].strip().lower() == "application/json" or body.lstrip().startswith("{"):
        try:
            payload = json.loads(body)
        except ValueError:
            return "the body is not valid JSON"
        return _slack_shaped(payload) if isinstance(payload, dict) else "the body is JSON but not an object"
    try:
        form = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return "the body is neither JSON nor a form (name=value&…)"
    if "payload" not in form:
        return form
    try:
        payload = json.loads(form["payload"])
    except ValueError:
        return "the form's payload field is not valid JSON"
    return _slack_shaped(payload) if isinstance(payload, dict) else "the form's payload field is not a JSON object"


# Fields that are objects in every payload Slack sends (Bolt's middleware reads into them).
_OBJECT_FIELDS = ("event", "view", "container", "function_data", "assistant_thread")


def _slack_shaped(payload: dict[str, Any]) -> dict[str, Any] | str:
    for name in _OBJECT_FIELDS:
        if name in payload and not isinstance(payload[name], dict):
            return f"the payload's {name} field is not an object"
    return payload


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


async def _refuse(send: Send, status: int, reason: str) -> None:
    """A request that is not Slack's, or not as Slack sends it: the status, the reason, one warning line
    (never the body or the signature)."""
    log.warning("refused a request to %s with %d: %s", EVENTS_PATH, status, reason)
    await _respond(send, status, reason.encode("utf-8"), "text/plain;charset=utf-8")


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def warm_up(app: App, bot: BotRuntime) -> None:
    """Make the app ready: `prepare` it, deliver what waits in the inbox (a previous run's unfinished events,
    those accepted meanwhile), then say it is ready (/readyz)."""
    started = time.perf_counter()
    prepare(bot)
    bot.open(app)
    log.warning("Advocate is ready to answer (warm-up took %.1f s)", time.perf_counter() - started)


def http_app(app: App, bot: BotRuntime) -> SlackHTTPApp:
    """The ASGI app of HTTP mode for this Bolt app and its runtime; /readyz reads the runtime's stores."""
    return SlackHTTPApp(app=app, settings=bot.settings, bot=bot,
                        health=lambda: health(engine=bot.records.engine, store=bot.parts.store))


def run_http(app: App, bot: BotRuntime, *, host: str, port: int) -> None:
    """Listen at once (/healthz answers while the model loads) and warm up beside it. Events that come
    meanwhile are acknowledged and wait in the inbox; /readyz says when questions are answered."""
    import uvicorn

    threading.Thread(target=warm_up, args=(app, bot), name="warm-up", daemon=True).start()
    log.warning("Advocate listening for Slack on http://%s:%d%s (liveness %s, readiness %s)", host, port,
                EVENTS_PATH, HEALTH_PATH, READY_PATH)
    # log_config=None: uvicorn's lines go through our handler (ADVOCATE_LOG_FORMAT, redaction), not its own.
    uvicorn.run(http_app(app, bot), host=host, port=port, log_level="warning",
                access_log=False, log_config=None)


def run_socket_mode(app: App, bot: BotRuntime, *, app_token: str) -> None:
    from bot.socket_mode import DurableSocketModeHandler

    handler = DurableSocketModeHandler(app, inbox=bot.inbox, app_token=app_token)
    log.warning("Advocate connected to Slack in Socket Mode")
    handler.start()
