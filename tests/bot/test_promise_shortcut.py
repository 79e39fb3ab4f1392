"""The "Record a promise" message shortcut: the modal prefilled from the message, the customer picked by
name or id, and every bad input shown on its field — through the real Bolt app and the local Slack API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from outbound.layouts.modals import PROMISE_MODAL
from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, ON_BOTH_STORES, Slack
from tests.slack_checks import DUE_TOKEN, unexpected_controls

pytestmark = ON_BOTH_STORES  # what these tests check is stored: on the embedded default and a production's stores

MESSAGE = "I'll call Ada back on Friday with the refund date <!here>"


def staff_and_customers(slack: Slack, *, tz: str = "") -> None:
    """Sam Reed (ASKER), in `tz` when given; three customers, two of them named Ada."""
    records = slack.services.records
    folder = slack.services.settings.data_dir
    (folder / "staff.csv").write_text(
        f"handle,name,function,manager,slack_user_id,tz\nsam.reed,Sam Reed,service,,{ASKER},{tz}\n")
    assert records.staff.import_csv(folder / "staff.csv").rejected == 0
    (folder / "customers.csv").write_text(
        "id,name,customer_since,owner,segment\nC10001,Ada Lovelace,2015-03-01,sam.reed,household\n"
        "C10002,Ada Byron,2019-05-01,sam.reed,household\nC10003,Grace Hopper,2020-01-01,sam.reed,household\n")
    assert records.customers.import_csv(folder / "customers.csv").rejected == 0


def open_from_message(slack: Slack) -> tuple[dict[str, Any], str]:
    ts = payloads.new_ts()
    slack.api.add_message(GENERAL, MESSAGE, user="U0AUTHOR01", ts=ts)
    response = slack.post(payloads.message_shortcut("record_promise", user=ASKER, channel=GENERAL,
                                                    message_text=MESSAGE, message_ts=ts))
    assert response.status_code == 200
    slack.wait()
    # Opened first; the thread's permalink follows with views.update.
    opened = next(v for v in reversed(slack.api.app_state.views) if v["method"] == "views.open")
    assert opened["method"] == "views.open" and opened["view"]["callback_id"] == PROMISE_MODAL
    return opened["view"], ts


def submit(slack: Slack, view: dict[str, Any], *, customer: str, text: str, day: str) -> dict[str, Any]:
    values = {
        "customer": payloads.text_value(customer), "text": payloads.text_value(text),
        "owner": {"value": {"type": "users_select", "selected_user": ASKER}},
        "due_date": {"value": {"type": "datepicker", "selected_date": day}},
        "due_time": {"value": {"type": "timepicker", "selected_time": "16:00"}},
    }
    response = slack.post(payloads.view_submission(PROMISE_MODAL, values, user=ASKER,
                                                   private_metadata=view["private_metadata"]))
    slack.wait()
    return response.json() if response.text else {}


def test_the_modal_is_prefilled_from_the_message(slack: Slack) -> None:
    staff_and_customers(slack)
    view, _ = open_from_message(slack)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["text"]["initial_value"] == "I'll call Ada back on Friday with the refund date @here"
    assert inputs["owner"]["initial_user"] == ASKER
    assert inputs["due_date"]["initial_date"] == (date.today() + timedelta(days=1)).isoformat()
    assert "initial_value" not in inputs["customer"]  # the person names the customer


def test_bad_input_is_shown_on_its_field_and_nothing_is_recorded(slack: Slack) -> None:
    staff_and_customers(slack)
    view, _ = open_from_message(slack)
    later = (date.today() + timedelta(days=3)).isoformat()
    records = slack.services.records
    cases = [
        ({"customer": "Nobody Known", "text": "Call back", "day": later}, "customer", "none named so"),
        ({"customer": "ada", "text": "Call back", "day": later}, "customer",
         "2 customers match 'ada': C10002 Ada Byron, C10001 Ada Lovelace; give the id of the one you mean"),
        ({"customer": "Ada Lovelace", "text": "   ", "day": later}, "text", "is empty"),
        ({"customer": "Ada Lovelace", "text": "Call back", "day": "2001-01-01"}, "due_date", "in the past"),
    ]
    for fields, block, words in cases:
        answer = submit(slack, view, **fields)
        assert answer["response_action"] == "errors" and list(answer["errors"]) == [block], fields
        assert words in answer["errors"][block]
    assert records.promises.list(owners=["sam.reed"], status=None) == []


def test_the_customer_is_picked_by_name_and_the_promise_links_to_the_message(slack: Slack) -> None:
    staff_and_customers(slack)
    view, ts = open_from_message(slack)
    later = (date.today() + timedelta(days=3)).isoformat()
    assert submit(slack, view, customer="grace hopper", text="Call Grace back with the refund date", day=later) == {}
    [promise] = slack.services.records.promises.list(owners=["sam.reed"])
    assert promise.customer_id == "C10003" and promise.text == "Call Grace back with the refund date"
    assert promise.permalink and GENERAL in promise.permalink and ts.replace(".", "") in promise.permalink
    assert slack.api.posted(GENERAL)[-1]["text"].startswith(f":handshake: <@{ASKER}> recorded a promise to customer "
                                                            "C10003")


def test_the_thread_is_told_the_due_time_in_each_reader_s_zone(slack: Slack) -> None:
    staff_and_customers(slack, tz="Asia/Tokyo")  # the owner's zone: the promise is given in it
    view, _ = open_from_message(slack)
    day = date.today() + timedelta(days=3)
    assert submit(slack, view, customer="C10003", text="Call Grace back", day=day.isoformat()) == {}
    [promise] = slack.services.records.promises.list(owners=["sam.reed"])
    due = datetime.combine(day, time(16, 0), tzinfo=ZoneInfo("Asia/Tokyo"))
    assert (promise.due_at, promise.due_tz) == (due, "Asia/Tokyo")
    said = slack.api.posted(GENERAL)[-1]["text"]
    assert said.startswith(f":handshake: <@{ASKER}> recorded a promise to customer C10003")
    # Slack shows the token in each reader's own zone; clients that cannot, and notifications, show the
    # due time in the zone the promise was given in, named.
    [token] = DUE_TOKEN.finditer(said)
    assert int(token["epoch"]) == int(due.timestamp())
    assert token["fallback"] == f"{due:%a %d %b %Y} 16:00 (Asia/Tokyo)"
    assert said.endswith(f"due {token.group(0)}.") and "UTC" not in said
    assert unexpected_controls(said, allowed=(f"<@{ASKER}>",)) == []
