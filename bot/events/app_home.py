"""App Home: published for each person when they open it."""

from __future__ import annotations

from datetime import UTC, datetime
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from advocate.slack_actions import ACTION_PROMISE_BROKEN, ACTION_PROMISE_KEPT, ACTION_PROMISE_RESCHEDULE
from bot.blocks.home import home_view
from bot.runtime import BotRuntime, runtime
from bot.slack_text import escape, trim


def handle_app_home_opened(ack: Ack, event: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    ack()
    if event.get("tab") not in (None, "home"):
        return
    publish_home(runtime(context), str(event["user"]))


def publish_home(rt: BotRuntime, user: str) -> None:
    view = home_view(
        recent=rt.ledger.recent_briefs(user, limit=5),
        advocate_function=rt.rotation.function_of(user),
        extra_sections=promise_sections(rt, user),
    )
    rt.client.views_publish(user_id=user, view=view)


def promise_sections(rt: BotRuntime, user: str) -> list[Block]:
    """The person's open promises, from the promises records (the loyalty issue adds more here)."""
    if not rt.answerer.promise_button:
        return []
    staff = rt.records.staff.resolve(user)
    if staff is None:
        return [SectionBlock(text=MarkdownTextObject(
            text="*Your promises to customers*\nYou're not in the staff list yet, so no promises are linked to you."))]
    promises = rt.records.promises.list(owners=[staff.handle], status="open", limit=10)
    now = datetime.now(UTC)
    if not promises:
        return [SectionBlock(text=MarkdownTextObject(text="*Your promises to customers*\nNo open promises.")),
                ContextBlock(elements=[MarkdownTextObject(text="Thank-yous due will appear here too.")])]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="*Your open promises to customers*"))]
    for promise in promises:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f"“{escape(trim(promise.text, 300))}” — customer {escape(promise.customer_id)}, due "
                 f"{promise.due_at:%d %b %Y %H:%M} UTC" + (" · *overdue*" if promise.overdue(now) else ""),
            verbatim=True)))
        blocks.append(ActionsBlock(block_id=f"promise:{promise.id}", elements=[
            ButtonElement(text="Kept", action_id=ACTION_PROMISE_KEPT, value=promise.id, style="primary"),
            ButtonElement(text="Broken", action_id=ACTION_PROMISE_BROKEN, value=promise.id),
            ButtonElement(text="Reschedule", action_id=ACTION_PROMISE_RESCHEDULE, value=promise.id),
        ]))
    return blocks


def register(app: App) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
