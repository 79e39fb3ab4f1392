"""Building the Bolt app from the parts the composition root hands it: no globals, one `register(app)` per
listener kind.

    bolt_app, bot = build_app(services.bot_parts())

The returned `BotRuntime` is what the listeners use (through `context["advocate"]`); the caller
closes it when the app stops.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from advocate.logging_setup import bound, new_request_id
from bot import actions, commands, events, shortcuts, views
from bot.parts import BotParts
from bot.runtime import CONTEXT_KEY, BotIdentity, BotRuntime

log = logging.getLogger(__name__)


class SlackSetupError(Exception):
    """The app cannot start against Slack (token refused, API unreachable); one line, no secrets."""


def identify(client: WebClient) -> BotIdentity:
    """Who the token belongs to (auth.test): the bot's user id, bot id and workspace."""
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        raise SlackSetupError(f"Slack refused SLACK_BOT_TOKEN ({error}); copy the Bot User OAuth Token "
                              "(xoxb-…) from the app's OAuth & Permissions page") from None
    except OSError as exc:
        raise SlackSetupError(f"cannot reach Slack's Web API at SLACK_API_URL ({type(exc).__name__})") from None
    return BotIdentity(
        user_id=str(auth.get("user_id", "")), bot_id=str(auth.get("bot_id", "")),
        team_id=str(auth.get("team_id", "")), enterprise_id=auth.get("enterprise_id") or None,
    )


class LoggedApp(App):
    """Bolt's App, each request dispatched in a context of its own that binds its log ids.

    `dispatch` is where every request enters (HTTP and Socket Mode alike). A Bolt middleware cannot do
    this: its `next()` returns before the listeners run. The listener and brief pools copy the context
    into the work they run (bot/workers.py), so every line a request causes carries its request_id and,
    for an Events API delivery, Slack's event_id.
    """

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        return contextvars.copy_context().run(self._dispatch_with_ids, req)

    def _dispatch_with_ids(self, req: BoltRequest) -> BoltResponse:
        body = req.body if isinstance(req.body, dict) else {}
        with bound(request_id=new_request_id(), event_id=body.get("event_id")):
            return super().dispatch(req)


def build_app(
    parts: BotParts,
    *,
    client: WebClient | None = None,
    verify_requests: bool = True,
) -> tuple[App, BotRuntime]:
    """The Bolt app and its runtime. `client`: the Web API client (default: the parts' own).
    `verify_requests`: check Slack's signature (HTTP mode needs it; Socket Mode requests come over the app's
    own authenticated connection and are not signed)."""
    signing_secret = parts.settings.slack_signing_secret.get_secret_value()
    if verify_requests and not signing_secret:
        raise SlackSetupError("SLACK_SIGNING_SECRET is not set; HTTP mode verifies every request with it")
    client = client or parts.slack()
    identity = identify(client)
    bot = BotRuntime(parts=parts, client=client, identity=identity)
    app = LoggedApp(
        client=client,  # its token is the bot token
        signing_secret=signing_secret or None,
        request_verification_enabled=verify_requests,
        # Bolt runs auth.test now rather than on the first request, which would then wait for it.
        token_verification_enabled=True,
        process_before_response=False,
        listener_executor=bot.listener_pool,
        logger=logging.getLogger("bot.bolt"),
    )

    def attach_runtime(context: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        context[CONTEXT_KEY] = bot
        return next()

    app.use(attach_runtime)

    @app.error
    def report_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        # Bolt answers Slack itself; the log gets what failed, never tokens (none are in the body).
        logger.exception("listener failed for a %s request", body.get("type", "?"), exc_info=error)

    events.register(app)
    commands.register(app)
    actions.register(app)
    shortcuts.register(app)
    views.register(app)
    return app, bot
