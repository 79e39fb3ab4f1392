"""Socket Mode with the inbox: an Events API delivery is recorded before it is acknowledged over the socket,
as in HTTP mode (bot/inbox.py), so a process stopped between the acknowledgement and the answer loses no
question: the next start takes it up. Slack sends an envelope again when it hears no acknowledgement, so
one that cannot be recorded is left unacknowledged. Every other request (commands, interactivity) goes
through Bolt's own handler, which acknowledges with the listener's answer.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.request import BoltRequest
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.inbox import Inbox

log = logging.getLogger(__name__)


class DurableSocketModeHandler(SocketModeHandler):
    def __init__(self, app: App, *, inbox: Inbox, app_token: str) -> None:
        # Where events are recorded before the acknowledgement, and handed to Bolt from.
        self.inbox = inbox
        super().__init__(app, app_token=app_token)

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        payload = req.payload if isinstance(req.payload, dict) else {}
        event_id = payload.get("event_id") if req.type == "events_api" else None
        if not event_id or payload.get("type") != "event_callback":
            super().handle(client, req)  # type: ignore[arg-type]
            return
        event_id = str(event_id)
        try:
            accepted_at = self.inbox.accept_now(event_id, json.dumps(payload))
        except Exception as exc:  # the records database is down: unacknowledged, Slack sends it again
            log.warning("could not record event %s (%s); not acknowledged, so that Slack sends it again",
                        event_id, type(exc).__name__)
            return
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        if accepted_at is None:
            log.info("event %s was sent again over the socket (retry %s); already accepted", event_id,
                     req.retry_attempt)
            return
        self.inbox.start(event_id, BoltRequest(body=payload, mode="socket_mode", headers=build_headers(req)),
                         accepted_at)
