"""App Home's promises, thank-yous due and keep rate: a signed app_home_opened into the real Bolt app,
the view as the local Slack API server received it from views.publish, and its buttons clicked back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from slack_sdk.models.blocks import Block

from outbound.actions import (
    ACTION_PROMISE_BROKEN,
    ACTION_PROMISE_KEPT,
    ACTION_PROMISE_REASSIGN,
    ACTION_PROMISE_RESCHEDULE,
)
from outbound.layouts.home import HOME_THANKS_MARK, MAX_HOME_BLOCKS
from records import Records
from records.models import Promise
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, DM, ON_BOTH_STORES, Slack
from tests.slack_checks import assert_within_limits, texts, unexpected_controls

pytestmark = ON_BOTH_STORES  # what these tests check is stored: on the embedded default and a production's stores

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday of ISO week 48
MANAGER, AGENT = "kim.lee", "sam.reed"
_serial = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def _clock_at_now() -> Iterator[None]:
    """Weeks, milestones and "recent feedback" are judged against NOW (the clock runs on from there)."""
    with time_machine.travel(NOW, tick=True):
        yield


def past_promise(records: Records, *, owner: str, due: datetime, status: str, late: bool = False,
                 text: str = "Call back") -> str:
    promise_id = f"H{next(_serial):04d}"
    closed = None if status == "open" else due + timedelta(days=2) if late else due - timedelta(hours=1)
    with records.session() as session:
        session.add(Promise(id=promise_id, customer_id="C10003", text=text, owner=owner, due_at=due,
                            due_tz="Europe/London", status=status, created_at=due - timedelta(days=5),
                            created_by=owner, closed_at=closed, closed_by=owner if closed else None))
    return promise_id


def noon(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def organisation(slack: Slack) -> dict[str, str]:
    """Kim manages Sam (Kim is ASKER in Slack). Kim thanks the customers Sam owns (the top of a short chain).
    Returns the ids of the promises worth asserting on."""
    records = slack.services.records
    folder = slack.services.settings.data_dir
    (folder / "staff.csv").write_text(
        "handle,name,function,manager,slack_user_id\n"
        f"{MANAGER},Kim Lee,service,,{ASKER}\n{AGENT},Sam Reed,service,{MANAGER},U0SAMREED1\n")
    assert records.staff.import_csv(folder / "staff.csv").rejected == 0
    ten_years = date(2016, 11, 28)  # 10 years with us on Saturday 28 November: in the next 14 days
    (folder / "customers.csv").write_text(
        "id,name,customer_since,owner,segment\n"
        f"C10001,Ada <!channel> Lovelace,{ten_years},{AGENT},household\n"
        f"C10002,Grace Hopper,2021-11-30,{AGENT},household\n"  # 5 years on 30 November: the team lead's
        "C10003,Alan Turing,2015-03-01,sam.reed,household\n")  # no milestone soon
    assert records.customers.import_csv(folder / "customers.csv").rejected == 0
    ids = {
        "upcoming": records.promises.add(customer="C10002", text="Send the refund <@U0BOSS>", owner=MANAGER,
                                         due="2026-11-25 16:00").id,
        # Week 47 (16–22 Nov): Kim kept one on time and broke one, and one is still open past due.
        "overdue": past_promise(records, owner=MANAGER, due=noon("2026-11-18"), status="open",
                                text="Ring back about the outage"),
    }
    past_promise(records, owner=MANAGER, due=noon("2026-11-16"), status="kept")
    past_promise(records, owner=MANAGER, due=noon("2026-11-17"), status="broken")
    # Sam kept two on time and one late: the team closed 5, kept 3 on time.
    past_promise(records, owner=AGENT, due=noon("2026-11-19"), status="kept")
    past_promise(records, owner=AGENT, due=noon("2026-11-20"), status="kept")
    past_promise(records, owner=AGENT, due=noon("2026-11-20"), status="kept", late=True)
    # Week 46: every one kept on time: the best past week for both.
    for day in ("2026-11-09", "2026-11-10", "2026-11-11"):
        past_promise(records, owner=MANAGER, due=noon(day), status="kept")
    return ids


def published_home(slack: Slack, user: str) -> list[dict[str, Any]]:
    view = slack.api.app_state.views[-1]
    assert view["method"] == "views.publish" and view["user_id"] == user and view["view"]["type"] == "home"
    blocks: list[dict[str, Any]] = view["view"]["blocks"]
    assert_within_limits(blocks, max_blocks=MAX_HOME_BLOCKS)
    for block in blocks:  # what Slack would accept
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
    return blocks


def open_home(slack: Slack, user: str) -> list[dict[str, Any]]:
    before = len(slack.api.app_state.views)
    slack.event(payloads.app_home_opened(user=user))
    slack.wait()
    assert len(slack.api.app_state.views) == before + 1
    return published_home(slack, user)


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for block in blocks:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        found += [(e["action_id"], e["value"]) for e in elements if e.get("type") == "button"]
    return found


def section_after(blocks: list[dict[str, Any]], heading: str) -> str:
    shown = list(texts(blocks))
    return next(t for t in shown if t.startswith(heading))


def test_app_home_shows_promises_thank_yous_due_and_keep_rate_with_buttons(slack: Slack) -> None:
    ids = organisation(slack)
    blocks = open_home(slack, ASKER)
    shown = "\n".join(texts(blocks))
    assert unexpected_controls(shown) == []  # customer names and promise texts ping nobody

    # Open promises, soonest first, the overdue one marked, each with Kept / Broken / Reschedule.
    head = section_after(blocks, "*Your open promises to customers*")
    assert head.startswith("*Your open promises to customers* (2) · *1 overdue*")
    assert shown.index("Ring back about the outage") < shown.index("Send the refund &lt;@U0BOSS&gt;")
    # The due time in each reader's zone (Slack's date token), the organisation's zone named in its fallback.
    overdue = int(noon("2026-11-18").timestamp())
    assert (f"Ring back about the outage” — customer C10003, due <!date^{overdue}^{{date_short_pretty}} {{time}}|"
            "Wed 18 Nov 2026 12:00 (Europe/London)> · *overdue*") in shown
    for promise_id in ids.values():
        assert [(a, v) for a, v in buttons(blocks) if v == promise_id] == [
            (ACTION_PROMISE_KEPT, promise_id), (ACTION_PROMISE_BROKEN, promise_id),
            (ACTION_PROMISE_RESCHEDULE, promise_id), (ACTION_PROMISE_REASSIGN, promise_id)]

    # Thank-yous due: the customers Kim should thank, soonest first, with the context to do it right.
    assert "*Thank-yous due* (2 in the next 14 days)" in shown
    ada = section_after(blocks, "*Ada &lt;!channel&gt; Lovelace* (C10001, household): *10 years* on Sat 28 Nov")
    assert "owner Sam Reed" in ada
    assert ":warning: *Fix first, thank after:* put right their complaint of 1 October 2026 (scored 2/10" in ada
    assert "*Grace Hopper* (C10002, household): *5 years* on Mon 30 Nov" in shown
    assert shown.index("Ada &lt;!channel&gt;") < shown.index("Grace Hopper")
    assert "_Suggested:_ Hello Ada, on 28 November you will have been with us for 10 years" in shown
    thank_buttons = [(a, v) for a, v in buttons(blocks) if a == HOME_THANKS_MARK]
    assert thank_buttons == [(HOME_THANKS_MARK, "C10001:10"), (HOME_THANKS_MARK, "C10002:5")]

    # Keep rate: kept on time / closed, against the best past week; the overdue one beside it, not in it.
    own = section_after(blocks, "*Your keep rate*")
    assert own.startswith("*Your keep rate* last week (2026-W47): *50%* kept on time (1 of 2 closed; "
                          "0 kept late, 1 broken).")
    assert "1 promise due last week is still open past due: not in the rate until closed" in own
    assert ("Best past week: 100% kept on time (3 of 3 closed, 2026-W46); only weeks with 3 or more closed "
            "promises count. :small_red_triangle_down: Below the best") in own
    team = section_after(blocks, "*Your team's keep rate*")
    assert team.startswith("*Your team's keep rate* last week (2026-W47): *60%* kept on time (3 of 5 closed; "
                           "1 kept late, 1 broken).")
    assert "Best past week: 100% kept on time (3 of 3 closed, 2026-W46)" in team


def test_mark_thanked_on_app_home_records_it_and_the_customer_leaves_the_list(slack: Slack) -> None:
    organisation(slack)
    open_home(slack, ASKER)
    click = payloads.home_block_actions(HOME_THANKS_MARK, user=ASKER)
    click["actions"][0]["value"] = "C10001:10"
    slack.post(click)
    slack.wait()
    [thanked] = slack.services.records.thanks.for_customer("C10001")
    assert (thanked.milestone, thanked.thanked_by) == (10, MANAGER)
    blocks = published_home(slack, ASKER)  # published again by the click
    shown = "\n".join(texts(blocks))
    assert "*Thank-yous due* (1 in the next 14 days)" in shown and "Lovelace" not in shown
    assert [v for a, v in buttons(blocks) if a == HOME_THANKS_MARK] == ["C10002:5"]
    assert "thanked for 10 years" in slack.api.posted(DM)[-1]["text"]  # App Home has no channel: a DM


def test_kept_on_app_home_moves_the_keep_rate_and_empties_the_list(slack: Slack) -> None:
    ids = organisation(slack)
    open_home(slack, ASKER)
    for promise_id in ids.values():
        click = payloads.home_block_actions(ACTION_PROMISE_KEPT, user=ASKER)
        click["actions"][0]["value"] = promise_id
        slack.post(click)
        slack.wait()
    blocks = published_home(slack, ASKER)
    shown = "\n".join(texts(blocks))
    assert "*Your promises to customers*\nNo open promises." in shown
    # The overdue one was kept, but late: it now counts as closed, and not on time.
    own = section_after(blocks, "*Your keep rate*")
    assert own.startswith("*Your keep rate* last week (2026-W47): *33%* kept on time (1 of 3 closed; "
                          "1 kept late, 1 broken).")
    assert "still open past due" not in own


def test_people_outside_staff_and_quiet_weeks_are_told_so(slack: Slack) -> None:
    organisation(slack)
    stranger = open_home(slack, ADMIN)
    assert "You're not in the staff list yet" in "\n".join(texts(stranger))
    assert [a for a, _ in buttons(stranger) if a == HOME_THANKS_MARK] == []
    # Sam owns no promise due last week... and thanks nobody: the sections say so instead of vanishing.
    folder = slack.services.settings.data_dir
    (folder / "staff2.csv").write_text(f"handle,name,function,manager,slack_user_id\n{AGENT},Sam Reed,service,"
                                       f"{MANAGER},{ADMIN}\n")
    slack.services.records.staff.import_csv(folder / "staff2.csv")
    shown = "\n".join(texts(open_home(slack, ADMIN)))
    assert "*Your promises to customers*\nNo open promises." in shown
    assert "Nobody you would thank reaches a milestone in the next 14 days." in shown
    assert "*Your keep rate* last week (2026-W47): *67%* kept on time (2 of 3 closed; 1 kept late" in shown
    assert "Your team's keep rate" not in shown  # Sam manages nobody


def test_a_busy_app_home_stays_within_its_length_budget(slack: Slack) -> None:
    """A manager with many open promises and many thank-yous due: App Home shows the soonest few of each
    (the rest counted), so it stays a glance. Measured: 45 blocks, 82 lines and 5,651 characters of text
    (10 of the 17 open promises shown); the budget says so when a change makes it longer."""
    organisation(slack)
    records = slack.services.records
    folder = slack.services.settings.data_dir
    for day in range(1, 16):
        records.promises.add(customer="C10003", owner=MANAGER, due=f"2026-12-{day:02d} 16:00",
                             text=f"Send the written summary of the engineer visit and the refund date, item {day}")
    rows = "".join(f"C2{n:04d},Customer {n},2016-11-{24 + n % 6:02d},{AGENT},household\n" for n in range(12))
    (folder / "more.csv").write_text("id,name,customer_since,owner,segment\n" + rows)
    assert records.customers.import_csv(folder / "more.csv").rejected == 0
    blocks = open_home(slack, ASKER)
    shown = list(texts(blocks))
    size = (len(blocks), sum(t.count("\n") + 1 for t in shown), sum(len(t) for t in shown))
    assert "(17)" in section_after(blocks, "*Your open promises to customers*")  # all counted, not all shown
    assert size[0] <= 48 and size[1] <= 90 and size[2] <= 6_000, size
