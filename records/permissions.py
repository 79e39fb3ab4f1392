"""Who may change what: rules the Slack app and the CLI both apply."""

from __future__ import annotations

from records.promises import PromiseView


def may_change_promise(promise: PromiseView, *, handle: str, is_admin: bool) -> bool:
    """A promise is closed, rescheduled or handed on by its owner (`handle`: the acting person's staff
    handle), or by an admin."""
    return is_admin or promise.owner == handle
