"""Telling the person who clicked a button what happened: privately, where they clicked."""

from __future__ import annotations

from typing import Any

from bot.runtime import BotRuntime


def clicked_in(body: dict[str, Any]) -> str:
    """The conversation a button was clicked in ("" on App Home)."""
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")


def tell(rt: BotRuntime, body: dict[str, Any], text: str, *, in_thread: bool = False) -> None:
    """An ephemeral note in the conversation of the clicked message (in its thread, with `in_thread`); from
    App Home, which has no conversation, a DM."""
    channel = clicked_in(body)
    user = str(body["user"]["id"])
    if not channel:
        rt.client.chat_postMessage(channel=user, text=text)
        return
    kwargs: dict[str, Any] = {}
    if in_thread:
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts")
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
    rt.client.chat_postEphemeral(channel=channel, user=user, text=text, **kwargs)
