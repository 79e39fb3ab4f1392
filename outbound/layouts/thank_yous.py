"""A long-standing customer to thank, as the manager digest and App Home both show it."""

from __future__ import annotations

from outbound.text import escape
from records.loyalty import ThankYou


def thank_you_text(item: ThankYou) -> str:
    """Who, which milestone and when, since when a customer, their owner; and what to fix before thanking."""
    customer = item.customer
    segment = f", {escape(customer.segment)}" if customer.segment else ""
    years = f"{item.milestone} year" + ("" if item.milestone == 1 else "s")
    text = (f"*{escape(customer.name)}* ({escape(customer.id)}{segment}): *{years}* on "
            f"{item.on:%a %-d %b} · customer since {customer.customer_since:%b %Y} · owner {escape(item.owner_name)}")
    if item.rolled_over:
        text += (f"\n_Yours as the owner: the {item.role.replace('_', ' ')}'s weekly limit went to "
                 "the longest-standing customers._")
    if item.fix_first:
        text += "\n:warning: *Fix first, thank after:* " + escape("; ".join(item.fix_first))
    return text
