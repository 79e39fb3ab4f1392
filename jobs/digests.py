"""The three kinds of digest by name, for `advocate digest preview|send` and the scheduler."""

from __future__ import annotations

from datetime import datetime

from jobs import advocate_briefing, manager_digest, promise_reminders
from jobs.common import RunReport
from jobs.parts import JobParts
from outbound.blocks import Message
from records.advocates import AdvocateView

KINDS: tuple[str, ...] = ("manager", "advocate", "reminders")


class UnknownRecipient(LookupError):
    """The --for person is not someone this kind of digest goes to; the message says who is."""


def preview(parts: JobParts, *, kind: str, who: str, now: datetime) -> list[Message]:
    """Exactly what would be sent to `who` now (nothing is recorded or sent)."""
    if kind == "manager":
        handle = _staff_handle(parts, who)
        message = manager_digest.messages_for(parts, handle, now=now)
        return [message] if message else []
    if kind == "advocate":
        advocate = _advocate(parts, who)
        message = advocate_briefing.message_for(parts, advocate, now=now)
        return [message] if message else []
    if kind == "reminders":
        return promise_reminders.messages_for(parts, owner=_staff_handle(parts, who), now=now)
    raise ValueError(f"--kind {kind!r}: use one of {', '.join(KINDS)}")


def send(parts: JobParts, *, kind: str, who: str | None, now: datetime) -> RunReport:
    """Send now (to everyone, or to `who`), through the same exactly-once ledger as the scheduler."""
    if kind == "manager":
        return manager_digest.send(parts, now=now, only=_staff_handle(parts, who) if who else None)
    if kind == "advocate":
        return advocate_briefing.send(parts, now=now, only=_advocate(parts, who) if who else None)
    if kind == "reminders":
        return promise_reminders.send(parts, now=now, only=_staff_handle(parts, who) if who else None)
    raise ValueError(f"--kind {kind!r}: use one of {', '.join(KINDS)}")


def _staff_handle(parts: JobParts, who: str) -> str:
    person = parts.records.staff.resolve(who)
    if person is None:
        raise UnknownRecipient(f"--for {who!r} is not in staff (give a staff handle or Slack user id)")
    return person.handle


def _advocate(parts: JobParts, who: str) -> AdvocateView:
    advocate = parts.records.advocates.resolve(who)
    if advocate is None:
        raise UnknownRecipient(
            f"--for {who!r} is not an active advocate; `advocate advocates list` shows them, "
            "`advocate advocates add` names one"
        )
    return advocate
