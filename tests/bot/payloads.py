"""Slack request payloads shaped like Slack's documented ones, and how HTTP mode signs them.

Events API: an `event_callback` envelope around the event (app_mention, message, reaction_added,
app_home_opened). Interactivity (block_actions, view_submission, message_action): a form field
`payload` holding JSON. Slash commands: form fields. HTTP mode signs `v0:{timestamp}:{body}` with the
signing secret (HMAC-SHA256), sent as X-Slack-Signature with X-Slack-Request-Timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

TEAM = "T0ACME001"
ENTERPRISE = None
BOT_USER = "U0ADVOCATE"
BOT_ID = "B0ADVOCATE"
API_APP_ID = "A0ADVOCATE"
_ids = itertools.count(1)
_ts = itertools.count(1)


def new_ts() -> str:
    return f"{1_780_000_000 + next(_ts)}.{next(_ts):06d}"


def event_id() -> str:
    return f"Ev{next(_ids):010d}"


def event_callback(event: dict[str, Any], *, eid: str | None = None, shared: bool = False) -> dict[str, Any]:
    return {
        "token": "unused-verification-token",
        "team_id": TEAM,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": eid or event_id(),
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": shared,
        "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
    }


def app_mention(text: str, *, user: str, channel: str, ts: str | None = None,
                thread_ts: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention", "user": user, "text": text, "ts": ts or new_ts(), "channel": channel,
        "event_ts": ts or new_ts(), "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, *, user: str, channel: str, channel_type: str = "channel", ts: str | None = None,
            thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts,
        "channel_type": channel_type, "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def message_changed(*, channel: str, ts: str, new_text: str, user: str) -> dict[str, Any]:
    now = new_ts()
    return {
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel, "ts": now,
        "event_ts": now, "channel_type": "channel",
        "message": {"type": "message", "user": user, "text": new_text, "ts": ts,
                    "edited": {"user": user, "ts": now}},
        "previous_message": {"type": "message", "user": user, "text": "(before)", "ts": ts},
    }


def message_deleted(*, channel: str, ts: str, user: str) -> dict[str, Any]:
    now = new_ts()
    return {
        "type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel, "ts": now,
        "deleted_ts": ts, "event_ts": now, "channel_type": "channel",
        "previous_message": {"type": "message", "user": user, "text": "(gone)", "ts": ts},
    }


def reaction_added(reaction: str, *, user: str, channel: str, ts: str, item_user: str) -> dict[str, Any]:
    return {
        "type": "reaction_added", "user": user, "reaction": reaction, "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": new_ts(),
    }


def app_home_opened(*, user: str, channel: str = "D0HOME0001") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": channel, "tab": "home", "event_ts": new_ts()}


def slash_command(text: str, *, user: str, channel: str, response_url: str) -> dict[str, str]:
    return {
        "token": "unused", "team_id": TEAM, "team_domain": "acme", "channel_id": channel,
        "channel_name": "decisions", "user_id": user, "user_name": "someone", "command": "/advocate",
        "text": text, "api_app_id": API_APP_ID, "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": f"{next(_ids)}.trigger",
    }


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": "someone", "name": "someone", "team_id": TEAM}


def block_actions(action_id: str, value: str, *, user: str, channel: str, message_ts: str,
                  thread_ts: str | None = None, response_url: str = "") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": API_APP_ID,
        "token": "unused",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{next(_ids)}.trigger",
        "team": {"id": TEAM, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "decisions"},
        "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": message_ts,
                    **({"thread_ts": thread_ts} if thread_ts else {}), "text": "brief"},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": f"brief:{value}", "value": value, "type": "button",
                     "text": {"type": "plain_text", "text": "button"}, "action_ts": new_ts()}],
    }


def home_block_actions(action_id: str, *, user: str) -> dict[str, Any]:
    return {
        "type": "block_actions", "user": _user(user), "api_app_id": API_APP_ID, "token": "unused",
        "container": {"type": "view", "view_id": "V0HOME"}, "trigger_id": f"{next(_ids)}.trigger",
        "team": {"id": TEAM, "domain": "acme"}, "enterprise": None, "is_enterprise_install": False,
        "view": {"id": "V0HOME", "type": "home", "callback_id": ""},
        "actions": [{"action_id": action_id, "block_id": "home_actions", "value": "ask", "type": "button",
                     "action_ts": new_ts()}],
    }


def view_submission(callback_id: str, values: dict[str, dict[str, dict[str, Any]]], *, user: str,
                    private_metadata: str = "") -> dict[str, Any]:
    return {
        "type": "view_submission", "team": {"id": TEAM, "domain": "acme"}, "user": _user(user),
        "api_app_id": API_APP_ID, "token": "unused", "trigger_id": f"{next(_ids)}.trigger",
        "view": {
            "id": "V0MODAL", "team_id": TEAM, "type": "modal", "callback_id": callback_id,
            "private_metadata": private_metadata, "blocks": [],
            "state": {"values": values}, "hash": "1.abc", "title": {"type": "plain_text", "text": "Modal"},
        },
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def text_value(text: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": text}}


def message_shortcut(callback_id: str, *, user: str, channel: str, message_text: str, message_ts: str,
                     thread_ts: str | None = None, response_url: str = "") -> dict[str, Any]:
    msg: dict[str, Any] = {"type": "message", "user": "U0AUTHOR01", "ts": message_ts, "text": message_text}
    if thread_ts:
        msg["thread_ts"] = thread_ts
    return {
        "type": "message_action", "token": "unused", "action_ts": new_ts(), "team": {"id": TEAM, "domain": "acme"},
        "user": _user(user), "channel": {"id": channel, "name": "decisions"}, "is_enterprise_install": False,
        "enterprise": None, "callback_id": callback_id, "trigger_id": f"{next(_ids)}.trigger",
        "message_ts": message_ts, "message": msg, "response_url": response_url,
    }


# -- HTTP mode: bodies and signatures ----------------------------------------------------------------------

def json_body(payload: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(payload), "application/json"


def form_body(payload: dict[str, Any]) -> tuple[str, str]:
    """Interactivity payloads travel as a `payload` form field; slash commands as plain form fields."""
    if "type" in payload and payload["type"] in ("block_actions", "view_submission", "message_action",
                                                 "shortcut", "view_closed"):
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    return urlencode(payload), "application/x-www-form-urlencoded"


def signed_headers(body: str, secret: str, *, timestamp: int | None = None, content_type: str,
                   retry_num: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
               "X-Slack-Signature": signature}
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers
