"""Telling the person who clicked a button what happened: privately, where they clicked.

Every note goes through the app's poster (outbound/poster.py), never the ordinary client: that client
retries 5xx answers and dropped connections, and Slack may have shown the note before either, so a
blind retry could show it twice. A DM carries a key and its conversation is searched for it before any
second try; an ephemeral note cannot be searched for, so after an ambiguous failure it is not sent again
(rate limits are waited out in both cases: a 429 showed nothing). A note that may not have been shown is
logged, never raised: what the click did is recorded either way.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.runtime import BotRuntime
from outbound.poster import UNREACHABLE, PostUncertain, describe

log = logging.getLogger(__name__)

# Posts of one DM after ambiguous failures, the conversation searched for it before each after the first.
DM_TRIES = 3


def clicked_in(body: dict[str, Any]) -> str:
    """The conversation a button was clicked in ("" on App Home)."""
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")


def tell(rt: BotRuntime, body: dict[str, Any], text: str, *, in_thread: bool = False) -> None:
    """An ephemeral note in the conversation of the clicked message (in its thread, with `in_thread`); from
    App Home, which has no conversation, a DM."""
    channel = clicked_in(body)
    user = str(body["user"]["id"])
    if not channel:
        dm(rt, user, text)
        return
    thread_ts: str | None = None
    if in_thread:
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts") or None
    note(rt, channel=channel, user=user, text=text, thread_ts=thread_ts)


def dm(rt: BotRuntime, user: str, text: str) -> bool:
    """A message in the app's DM with `user`, posted at most once; whether Slack is known to show it."""
    try:
        rt.poster.post(channel=rt.poster.open_dm(user), text=text, tries=DM_TRIES)
        return True
    except PostUncertain as exc:
        log.warning("a DM to %s may not have been posted (%s); not posted again", user, describe(exc))
    except (SlackApiError, *UNREACHABLE) as exc:
        log.error("could not send a DM to %s (%s)", user, describe(exc))
    return False


def note(rt: BotRuntime, *, channel: str, user: str, text: str, thread_ts: str | None = None) -> bool:
    """An ephemeral note only `user` sees in `channel`, shown at most once; whether Slack is known to show it."""
    try:
        rt.poster.post_ephemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        return True
    except PostUncertain as exc:
        log.warning("a note to %s in %s may not have been shown (%s); not sent again", user, channel, describe(exc))
    except (SlackApiError, *UNREACHABLE) as exc:
        log.error("could not show %s a note in %s (%s)", user, channel, describe(exc))
    return False
