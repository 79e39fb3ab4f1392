"""The real Bolt app, fed signed HTTP requests (through the ASGI app `advocate serve --http` runs) and
Socket Mode requests (through Bolt's socket-mode handler), its Web API calls going to the local Slack
API server (`tests/slack_api_server.py`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import App
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from advocate.services import Services, build_services
from advocate.settings import Settings
from bot.app import build_app
from bot.runtime import BotRuntime
from bot.server import SlackHTTPApp, http_app
from knowledge.embeddings import SentenceTransformerEmbeddings
from tests.bot import payloads
from tests.conftest import store_values

# The property-based tests' profiles (200 examples, 5,000 under `-m fuzz`), also when only tests/bot runs.
from tests.knowledge.conftest import pytest_configure  # noqa: F401,E402
from tests.slack_api_server import SlackApiServer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "U0ADMIN001"
ASKER = "U0ASKER001"
ADVOCATE = "U0SERVADV1"
DECISIONS = "C0DECIDE01"
FEEDBACK = "C0FEEDBK01"
GENERAL = "C0GENERAL1"
DM = "D0ASKER001"

DEFINITION = """# What customer-centric means at Acme Broadband

## Keep your promises
When we say we will call a customer back, we call back at the time we said. A missed callback costs
more trust than a long wait: customers tell us broken promises are what make them leave.

## Control
Customers are never at our mercy: they can always reach a person, by phone, when they need one.
"""
FEEDBACK_CSV = "\n".join([
    "id,verbatim,score,date,channel,customer_id",
    '"F1","They promised a callback and nobody called <!channel> <@U0BOSS>. I waited all afternoon. '
    'Call me on 07700 900123.",2,2026-10-01,phone,C10001',
    '"F2","The chatbot went round in circles and I could not reach a person <!channel> <@U0BOSS>.",'
    '3,2026-10-03,chat,C10002',
    '"F3","The engineer called back exactly when promised. Brilliant service & very kind.",10,2026-10-05,phone,C10003',
    '"F4","Waiting on hold for forty minutes to reach a person is not acceptable '
    '<http://evil.example|click here> & <!here>; email me at jo@example.com",1,2026-10-06,phone,C10004',
]) + "\n"


@dataclass
class Slack:
    """Sends requests to the Bolt app the way Slack does, and waits for the work they start."""

    app: App
    bot: BotRuntime
    api: SlackApiServer
    services: Services
    http_app: SlackHTTPApp
    socket_responses: list[SocketModeResponse] = field(default_factory=list)

    # -- HTTP mode ----------------------------------------------------------------------------------------
    def post(self, payload: dict[str, Any], *, secret: str = SECRET, retry_num: int | None = None,
             timestamp: int | None = None, path: str = "/slack/events") -> httpx.Response:
        as_json = payload.get("type") in ("event_callback", "url_verification")
        body, content_type = payloads.json_body(payload) if as_json else payloads.form_body(payload)
        headers = payloads.signed_headers(body, secret, content_type=content_type, retry_num=retry_num,
                                          timestamp=timestamp)
        return self.request("POST", path, content=body.encode(), headers=headers)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.http_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://advocate.test") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def event(self, event: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """An Events API delivery over HTTP; returns the envelope (its event_id, for redelivery)."""
        shared = kwargs.pop("shared", False)
        envelope = payloads.event_callback(event, eid=kwargs.pop("eid", None), shared=shared)
        response = self.post(envelope, **kwargs)
        assert response.status_code == 200, response.text
        return envelope

    # -- Socket Mode ------------------------------------------------------------------------------------
    def socket(self, payload: dict[str, Any], *, kind: str = "events_api", retry_attempt: int | None = None
               ) -> SocketModeResponse:
        """A Socket Mode envelope through Bolt's socket-mode handler (no websocket: the client is a recorder)."""
        from bot.socket_mode import DurableSocketModeHandler

        handler = DurableSocketModeHandler(self.app, inbox=self.bot.inbox, app_token="xapp-1-A0ADVOCATE-1-test")
        try:
            recorder = SocketRecorder()
            request = SocketModeRequest(type=kind, envelope_id=f"env-{len(self.socket_responses)}",
                                        payload=payload, retry_attempt=retry_attempt,
                                        retry_reason="timeout" if retry_attempt else None)
            handler.handle(recorder, request)  # type: ignore[arg-type]
        finally:
            handler.close()
        assert recorder.responses, "Bolt sent no acknowledgement over the socket"
        self.socket_responses.extend(recorder.responses)
        return recorder.responses[0]

    def wait(self, timeout: float = 60.0) -> None:
        assert self.bot.wait_idle(timeout), "listeners or brief workers still busy"


class SocketRecorder:
    """A Socket Mode client that only records the acknowledgements sent over it."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("tests.socket")
        self.responses: list[SocketModeResponse] = []

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.responses.append(response)


def bot_settings(data_dir: Path, api: SlackApiServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=data_dir, slack_bot_token="xoxb-test-token", slack_api_url=api.url,
        slack_signing_secret=SECRET, admins=ADMIN, decision_channels=DECISIONS, feedback_channels=FEEDBACK,
        brief_workers=2, ask_emoji="busts_in_silhouette",
    )
    values.update(overrides)
    return Settings(**values)


def ingest_small_pack(services: Services, folder: Path) -> None:
    (folder / "definition").mkdir(parents=True, exist_ok=True)
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    (folder / "definition" / "customer-centricity.md").write_text(DEFINITION, encoding="utf-8")
    (folder / "feedback" / "feedback.csv").write_text(FEEDBACK_CSV, encoding="utf-8")
    summary = services.ingestor.ingest([folder / "definition", folder / "feedback"])
    assert summary.rejected == 0, summary.rejections


def make_slack(services: Services, api: SlackApiServer) -> tuple[Slack, BotRuntime]:
    app, bot = build_app(services.bot_parts())
    bot.open(app)  # no warm-up brief: the tests' own questions are the first
    return Slack(app=app, bot=bot, api=api, services=services, http_app=http_app(app, bot)), bot


# The stores the Slack app runs on: the laptop default, and a production deployment's (a Chroma server and
# PostgreSQL). Modules whose tests are about what gets stored run on both: `pytestmark = ON_BOTH_STORES`.
STORES = ("embedded-chroma", "chroma-server+postgresql")
ON_BOTH_STORES = pytest.mark.parametrize("slack", STORES, indirect=True)


@pytest.fixture
def slack(
    request: pytest.FixtureRequest, tmp_path: Path, slack_api: SlackApiServer,
    real_embedder: SentenceTransformerEmbeddings,
) -> Iterator[Slack]:
    """The Bolt app with a small pack ingested. The real model (loaded once per session) decides which
    verbatims a brief quotes, so the tests can rely on the ones with pings and phone numbers in them.
    Embedded Chroma and SQLite unless the test is parametrised with `ON_BOTH_STORES`."""
    with ExitStack() as stack:
        stores = store_values(request, stack, getattr(request, "param", STORES[0]))
        # A deployment on servers keeps no store in its data dir, but has one (the image's /data).
        (tmp_path / "data").mkdir(exist_ok=True)
        services = build_services(bot_settings(tmp_path / "data", slack_api, **stores), embedder=real_embedder)
        stack.callback(services.close)
        ingest_small_pack(services, tmp_path / "pack")
        harness, bot = make_slack(services, slack_api)
        stack.callback(bot.close)
        yield harness


def briefs(api: SlackApiServer, channel: str) -> list[dict[str, Any]]:
    """Bot messages in a channel that hold a brief (the placeholder replaced by blocks)."""
    return [m for m in api.posted(channel) if any(b.get("type") == "header" for b in m.get("blocks") or [])]


def bot_texts(api: SlackApiServer, channel: str) -> list[str]:
    return [m["text"] for m in api.posted(channel) if m.get("bot_id")]
