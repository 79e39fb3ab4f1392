"""Who may change a promise: its owner, or an admin; nobody else (the Slack app and the CLI ask the same)."""

from __future__ import annotations

from datetime import UTC, datetime

from records.permissions import may_change_promise
from records.promises import PromiseView

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def promise(owner: str) -> PromiseView:
    return PromiseView(id="P001", customer_id="C00105", text="Call back before five", owner=owner, due_at=NOW,
                       due_tz="Europe/London", status="open", permalink=None, created_at=NOW, closed_at=None,
                       closed_by=None)


def test_the_owner_may_change_their_promise() -> None:
    assert may_change_promise(promise("sam.reed"), handle="sam.reed", is_admin=False)


def test_someone_else_may_not_unless_an_admin() -> None:
    assert not may_change_promise(promise("sam.reed"), handle="kim.ashby", is_admin=False)
    assert may_change_promise(promise("sam.reed"), handle="kim.ashby", is_admin=True)
