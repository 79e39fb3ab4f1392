"""The weekly manager digest as a DM: thank-yous to make, the team's promises due and overdue, the keep rate.

`jobs/manager_digest.py` gathers a `ManagerDigest` for each manager and draws the chart; this lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from outbound.actions import ACTION_THANKS_MARK, thanks_value
from outbound.blocks import MAX_BLOCKS, BlockList, Chart, Message, button, escape, quote
from outbound.layouts.keep_rate import chart_image_block, keep_rate_text
from outbound.layouts.thank_yous import thank_you_text
from outbound.text import slack_time
from records.customers import CustomerView
from records.due_times import show_due_in
from records.keep_rate import KeepRateReport
from records.loyalty import ThankYou
from records.promises import PromiseView
from records.staff import StaffView

# Each customer's latest feedback quoted beside the thank-you, and how much of it: the digest is a glance
# (`advocate customer ID` has the rest).
FEEDBACK_QUOTED = 2
FEEDBACK_CHARS = 200


@dataclass
class ManagerDigest:
    """What one manager's digest says, as of `now`."""

    manager: StaffView
    now: datetime
    # The organisation's zone (ADVOCATE_TIMEZONE): the due times' fallback text (notifications, clients that
    # cannot show Slack's date token) and "fix first" are in it, labelled with its name, as in App Home; Slack
    # shows the due times themselves in the reader's zone. The manager's own zone sets only their week
    # (`week_label`, `week_shown`).
    org_zone: tzinfo
    week_label: str  # ISO week, e.g. 2026-W48
    week_shown: str  # its days, e.g. 23–29 Nov 2026
    team_size: int
    thanks: list[ThankYou]
    thanks_total: int
    thanks_days: int  # how far ahead thank-yous are looked for
    thanks_rule: str  # who thanks which milestones, in one line (ThanksRule.describe)
    due: list[PromiseView]
    due_total: int
    overdue: list[PromiseView]
    overdue_total: int
    keep_rate: KeepRateReport
    customers: dict[str, CustomerView]

    @property
    def empty(self) -> bool:
        latest = self.keep_rate.latest
        return not (self.thanks_total or self.due_total or self.overdue_total
                    or latest and (latest.closed or latest.overdue_open))


def chart_title(digest: ManagerDigest) -> str:
    return f"Keep rate, {digest.manager.name}'s team, by week"


def manager_digest_message(digest: ManagerDigest, *, chart: Chart | None) -> Message:
    """The digest as a DM, with the keep-rate chart (if any) as its last block (jobs/chart_file.py uploads it)."""
    tz = digest.org_zone
    out = BlockList()
    out.header(f"Your week with customers, {digest.manager.name.split()[0]}")
    out.context(f"Week {digest.week_label.split('-W')[1]} ({digest.week_shown}) · your team: "
                f"{digest.team_size} {'person' if digest.team_size == 1 else 'people'} below you")
    if digest.thanks_total:
        out.section(f"*Long-standing customers to thank* ({digest.thanks_total})\n"
                    "Thank them yourself: a call or a personal note. Mark it when done so it is not suggested again.")
        out.context(escape(digest.thanks_rule))
        for item in digest.thanks:
            _thank_you_blocks(out, item, tz=tz)
        if digest.thanks_total > len(digest.thanks):
            out.context(f"{digest.thanks_total - len(digest.thanks)} more: `advocate thanks due --for "
                        f"{digest.manager.handle}`")
    else:
        out.section("*Long-standing customers to thank*\nNo milestones for you to mark in the next "
                    f"{digest.thanks_days} days.")
    out.divider()
    customers = digest.customers
    if digest.due_total:
        out.lines(f"*Promises due the rest of this week* ({digest.due_total})",
                  [_promise_line(p, customers, tz=tz, now=None) for p in digest.due])
    else:
        out.section("*Promises due the rest of this week*\nNone open.")
    if digest.overdue_total:
        out.lines(f"*Overdue promises* ({digest.overdue_total}) — close, reschedule with a reason, or reassign",
                  [_promise_line(p, customers, tz=tz, now=digest.now) for p in digest.overdue])
    if digest.due_total > len(digest.due) or digest.overdue_total > len(digest.overdue):
        out.context("All of them: `advocate promises list --team " + escape(digest.manager.handle) + "`")
    out.divider()
    out.section(keep_rate_text(digest.keep_rate))
    image = chart_image_block(digest.keep_rate, title=chart.title) if chart else None
    blocks = out.done(more_hint="Run `advocate digest preview --kind manager` for everything.")
    if image is not None:  # after any cut, so a digest always keeps its chart (and the cut's closing note)
        if len(blocks) >= MAX_BLOCKS:
            blocks = [*blocks[: MAX_BLOCKS - 2], blocks[-1]]
        blocks.append(image)
    return Message(text=fallback_text(digest), blocks=blocks, chart=chart)


def _thank_you_blocks(out: BlockList, item: ThankYou, *, tz: tzinfo) -> None:
    head = thank_you_text(item) + "\n_Suggested:_ " + escape(item.message)
    out.section(head, accessory=button("Mark thanked", action_id=ACTION_THANKS_MARK,
                                       value=thanks_value(item.customer.id, item.milestone)))
    context: list[str] = []
    for feedback in item.feedback[:FEEDBACK_QUOTED]:
        score = f"score {feedback.score}, " if feedback.score is not None else ""
        context.append(f"{quote(feedback.text, FEEDBACK_CHARS)}\n— {score}{escape(feedback.channel or 'feedback')}, "
                       f"{escape(feedback.date or 'undated')}")
    for promise in item.open_promises[:3]:
        context.append(f"Open promise `{escape(promise.id)}`: {escape(promise.text[:200])} "
                       f"(due {slack_time(promise.due_at, show_due_in(promise.due_at, tz))}, {escape(promise.owner)})")
    if not item.feedback:
        context.append("No feedback from this customer in the knowledge base.")
    out.context("\n".join(context))


def _promise_line(
    promise: PromiseView, customers: dict[str, CustomerView], *, tz: tzinfo, now: datetime | None
) -> str:
    customer = customers.get(promise.customer_id)
    who = escape(customer.name) if customer else escape(promise.customer_id)
    text = escape(promise.text if len(promise.text) <= 160 else promise.text[:159] + "…")
    due = slack_time(promise.due_at, show_due_in(promise.due_at, tz))
    late = ""
    if now is not None and promise.due_at < now:
        days = (now - promise.due_at).days
        late = f" · *overdue {days} day{'s' if days != 1 else ''}*" if days else " · *overdue today*"
    return f"• `{escape(promise.id)}` {text} — *{who}* · {escape(promise.owner)} · due {due}{late}"


def fallback_text(digest: ManagerDigest) -> str:
    latest, best = digest.keep_rate.latest, digest.keep_rate.best_past
    rate = f"team keep rate {latest.rate:.0%}" if latest and latest.rate is not None else "no keep rate last week"
    if best and best.rate is not None and latest and latest.rate is not None:
        rate += f" (best past week {best.rate:.0%})"
    return (f"Your week with customers: {digest.thanks_total} long-standing customers to thank, "
            f"{digest.due_total} promises due this week, {digest.overdue_total} overdue; {rate}.")
