"""`/advocate customer`, `/advocate promise`, the Reassign button and the promise modal's permalink — through
the real Bolt app with signed payloads, Web API calls recorded by the local Slack API server."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from outbound.actions import ACTION_PROMISE_REASSIGN, ACTION_PROMISE_RESCHEDULE
from outbound.layouts.modals import (
    DUE_DATE_BLOCK,
    DUE_TIME_BLOCK,
    NEW_OWNER_BLOCK,
    PROMISE_MODAL,
    REASSIGN_MODAL,
    REASSIGN_REASON_BLOCK,
    RESCHEDULE_MODAL,
    RESCHEDULE_REASON_BLOCK,
)
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, DM, GENERAL, ON_BOTH_STORES, Slack
from tests.slack_checks import DUE_TOKEN, assert_within_limits, texts, unexpected_controls

pytestmark = ON_BOTH_STORES  # what these tests check is stored: on the embedded default and a production's stores

SAM, PAT = "U0SAMREED1", "U0PATDOE01"


def organisation(slack: Slack) -> None:
    """ASKER is Kim (Sam's manager); Sam and Pat are agents. C10001 gave feedback with a phone number in it."""
    records = slack.services.records
    folder = slack.services.settings.data_dir
    (folder / "staff.csv").write_text(
        "handle,name,function,manager,slack_user_id\n"
        f"kim.lee,Kim Lee,service,,{ASKER}\nsam.reed,Sam Reed,service,kim.lee,{SAM}\n"
        f"pat.doe,Pat Doe,service,kim.lee,{PAT}\n")
    assert records.staff.import_csv(folder / "staff.csv").rejected == 0
    (folder / "customers.csv").write_text(
        "id,name,customer_since,owner,segment\n"
        "C10001,Ada <!channel> Lovelace,2015-03-01,sam.reed,household\n"
        "C10002,Ada Byron,2019-05-01,sam.reed,household\n"
        "C10003,Grace Hopper,2020-01-01,pat.doe,household\n")
    assert records.customers.import_csv(folder / "customers.csv").rejected == 0


def command(slack: Slack, text: str, *, user: str = ASKER, channel: str = GENERAL) -> dict[str, Any]:
    payload = payloads.slash_command(text, user=user, channel=channel, response_url=slack.api.response_url())
    before = len(slack.api.app_state.responses)
    response = slack.post(payload)
    assert response.status_code == 200 and response.text == ""  # a bare ack: the work follows it
    slack.wait()
    assert len(slack.api.app_state.responses) == before + 1
    reply: dict[str, Any] = slack.api.app_state.responses[-1]
    assert reply["response_type"] == "ephemeral"
    return reply


def due_shown(mrkdwn: str, at: datetime) -> str:
    """The fallback of the one due-time token in `mrkdwn`, after checking it is the moment `at`."""
    [token] = DUE_TOKEN.finditer(mrkdwn)
    assert int(token["epoch"]) == int(at.timestamp())
    return token["fallback"]


def valid(blocks: list[dict[str, Any]]) -> str:
    assert_within_limits(blocks)
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
    return "\n".join(texts(blocks))


# -- /advocate customer -------------------------------------------------------------------------------------
def test_customer_card_shows_tenure_feedback_and_open_promises_masked_in_a_channel(slack: Slack) -> None:
    organisation(slack)
    promise = slack.services.records.promises.add(
        customer="C10001", text="Ring Ada back on 07700 900456 <@U0BOSS>", owner="sam.reed",
        due=(date.today() + timedelta(days=2)).isoformat())
    reply = command(slack, "customer C10001")
    shown = valid(reply["blocks"])
    assert "Ada <!channel> Lovelace (C10001)" in shown  # the header is plain text: shown, never a ping
    assert "*Customer since* 1 March 2015" in shown and "Sam Reed" in shown
    assert "*Next milestone:*" in shown
    # F1 of the small pack is C10001's: quoted, escaped, and its phone number masked in a channel.
    assert "They promised a callback and nobody called &lt;!channel&gt;" in shown
    assert "07700 900123" not in shown and "[phone removed]" in shown
    assert "score 2, phone, 2026-10-01" in shown
    assert "*Open promises* (1)" in shown and "Ring Ada back on [phone removed] &lt;@U0BOSS&gt;" in shown
    mrkdwn = "\n".join(texts([b for b in reply["blocks"] if b["type"] != "header"]))
    assert unexpected_controls(mrkdwn) == [] and "Ada &lt;!channel&gt; Lovelace" not in mrkdwn
    assert due_shown(mrkdwn, promise.due_at) == f"{promise.due_at:%a %d %b %Y} 17:00 (Europe/London)"
    # The card lists the promise by its text; the records still hold the number.
    assert "07700 900456" in slack.services.records.promises.get(promise.id).text


def test_customer_card_in_a_dm_is_not_masked_and_names_work(slack: Slack) -> None:
    organisation(slack)
    shown = valid(command(slack, "customer grace hopper", channel=DM)["blocks"])
    assert "Grace Hopper (C10003)" in shown and "Pat Doe" in shown
    assert "Engineer called back exactly when promised".lower() in shown.lower()
    assert "None." in shown  # no open promises
    one = valid(command(slack, "customer c10001", channel=DM)["blocks"])
    assert "07700 900123" in one and "hidden outside a direct message" not in one


def test_several_customers_are_listed_to_pick_from(slack: Slack) -> None:
    organisation(slack)
    reply = command(slack, "customer ada")
    shown = valid(reply["blocks"])
    assert "*2 customers match “ada”*" in shown
    assert "`C10002` Ada Byron" in shown and "`C10001` Ada &lt;!channel&gt; Lovelace" in shown
    assert "/advocate customer C10001" in shown
    assert unexpected_controls(shown) == []


def test_an_unknown_customer_and_an_empty_name_are_said_plainly(slack: Slack) -> None:
    organisation(slack)
    unknown = command(slack, "customer Nobody <!here>")
    assert unknown["text"].startswith("No customer matches “Nobody @\u200bhere”") and "blocks" not in unknown
    assert "/advocate ask" in unknown["text"]
    empty = command(slack, "customer")
    assert empty["text"].startswith("Name the customer: `/advocate customer <name or id>`")


def test_guests_and_shared_channels_get_no_customer_card(slack: Slack) -> None:
    organisation(slack)
    slack.api.set_user("U0GUEST001", is_restricted=True)
    guest = command(slack, "customer C10001", user="U0GUEST001")
    assert guest["text"].startswith("Sorry — I can only help members") and "blocks" not in guest
    slack.api.set_user("U0STRANGE1", team_id="T0OTHER01")
    assert command(slack, "customer C10001", user="U0STRANGE1")["text"].startswith("Sorry — I can only help")
    slack.api.set_channel("C0SHARED01", is_ext_shared=True)
    shared = command(slack, "customer C10001", channel="C0SHARED01")
    assert "shared with other organisations" in shared["text"] and "Lovelace" not in json.dumps(shared)


# -- /advocate promise --------------------------------------------------------------------------------------
def test_promise_command_opens_the_modal_prefilled_and_records_the_promise(slack: Slack) -> None:
    organisation(slack)
    payload = payloads.slash_command("promise Call <@U0SAMREED1> back &amp; send the refund", user=ASKER,
                                     channel=GENERAL, response_url=slack.api.response_url())
    assert slack.post(payload).text == ""
    slack.wait()
    [opened] = slack.api.app_state.views
    assert opened["method"] == "views.open" and opened["view"]["callback_id"] == PROMISE_MODAL
    [call] = slack.api.calls_to("views.open")
    assert call.params["trigger_id"] == payload["trigger_id"]
    inputs = {b["block_id"]: b["element"] for b in opened["view"]["blocks"] if b["type"] == "input"}
    assert inputs["text"]["initial_value"] == "Call @someone back & send the refund"
    assert inputs["owner"]["initial_user"] == ASKER
    assert not slack.api.calls_to("chat.getPermalink")  # no message, no link
    values = {
        "customer": payloads.text_value("C10003"), "text": payloads.text_value("Call Grace back"),
        "owner": {"value": {"type": "users_select", "selected_user": ASKER}},
        "due_date": {"value": {"type": "datepicker", "selected_date": (date.today() + timedelta(days=2)).isoformat()}},
        "due_time": {"value": {"type": "timepicker", "selected_time": "16:00"}},
    }
    response = slack.post(payloads.view_submission(PROMISE_MODAL, values, user=ASKER,
                                                   private_metadata=opened["view"]["private_metadata"]))
    slack.wait()
    assert response.text == ""
    [promise] = slack.services.records.promises.list(owners=["kim.lee"])
    assert promise.customer_id == "C10003" and promise.permalink is None
    # Told by DM (the conversation conversations.open names, where its key can be searched for).
    assert slack.api.posted(DM)[-1]["text"].startswith(":handshake: Recorded your promise to customer C10003")


def test_promise_command_without_text_and_for_a_guest(slack: Slack) -> None:
    organisation(slack)
    slack.post(payloads.slash_command("promise", user=ASKER, channel=GENERAL, response_url=slack.api.response_url()))
    slack.wait()
    view = slack.api.app_state.views[-1]["view"]
    text_input = next(b for b in view["blocks"] if b.get("block_id") == "text")["element"]
    assert "initial_value" not in text_input
    slack.api.set_user("U0GUEST001", is_restricted=True)
    views = len(slack.api.app_state.views)
    reply = command(slack, "promise call back", user="U0GUEST001")
    assert reply["text"].startswith("Sorry — I can only help members") and len(slack.api.app_state.views) == views


# -- the shortcut: the modal first, the permalink after -----------------------------------------------------
def test_shortcut_opens_the_modal_before_asking_for_the_permalink(slack: Slack) -> None:
    organisation(slack)
    ts = payloads.new_ts()
    slack.api.add_message(GENERAL, "I'll call Ada back", user="U0AUTHOR01", ts=ts)
    slack.post(payloads.message_shortcut("record_promise", user=ASKER, channel=GENERAL,
                                         message_text="I'll call Ada back", message_ts=ts))
    slack.wait()
    order = [c.method for c in slack.api.calls if c.method in ("views.open", "chat.getPermalink", "views.update")]
    assert order == ["views.open", "chat.getPermalink", "views.update"]
    opened, updated = slack.api.app_state.views[-2:]
    assert "permalink" not in json.loads(opened["view"]["private_metadata"])
    [update] = slack.api.calls_to("views.update")
    assert update.params["view_id"].startswith("V")
    where = json.loads(updated["view"]["private_metadata"])
    assert where["permalink"].endswith(ts.replace(".", "")) and where["message_ts"] == ts
    assert updated["view"]["blocks"] == opened["view"]["blocks"]  # the same modal, only the link added
    calls = len(slack.api.calls)
    values = {
        "customer": payloads.text_value("C10003"), "text": payloads.text_value("Call Grace back"),
        "owner": {"value": {"type": "users_select", "selected_user": ASKER}},
        "due_date": {"value": {"type": "datepicker", "selected_date": (date.today() + timedelta(days=2)).isoformat()}},
        "due_time": {"value": {"type": "timepicker", "selected_time": "16:00"}},
    }
    assert slack.post(payloads.view_submission(PROMISE_MODAL, values, user=ASKER,
                                               private_metadata=updated["view"]["private_metadata"])).text == ""
    slack.wait()
    assert "chat.getPermalink" not in [c.method for c in slack.api.calls[calls:]]  # nothing before the ack
    [promise] = slack.services.records.promises.list(owners=["kim.lee"])
    assert promise.permalink == where["permalink"]


# -- Reassign -----------------------------------------------------------------------------------------------
def click_reassign(slack: Slack, promise_id: str, *, user: str, home: bool = False) -> None:
    if home:
        payload = payloads.home_block_actions(ACTION_PROMISE_REASSIGN, user=user)
        payload["actions"][0]["value"] = promise_id
    else:
        payload = payloads.block_actions(ACTION_PROMISE_REASSIGN, promise_id, user=user, channel="D0DIGEST01",
                                         message_ts=payloads.new_ts())
    assert slack.post(payload).status_code == 200
    slack.wait()


def submit_reassign(slack: Slack, view: dict[str, Any], *, user: str, to: str, why: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {NEW_OWNER_BLOCK: {"value": {"type": "users_select", "selected_user": to}}}
    values[REASSIGN_REASON_BLOCK] = payloads.text_value(why) if why else {"value": {"type": "plain_text_input"}}
    response = slack.post(payloads.view_submission(REASSIGN_MODAL, values, user=user,
                                                   private_metadata=view["private_metadata"]))
    slack.wait()
    return response.json() if response.text else {}


def test_reassign_from_app_home_by_the_owner_records_it_and_tells_the_new_owner(slack: Slack) -> None:
    organisation(slack)
    records = slack.services.records
    promise = records.promises.add(customer="C10003", text="Send the refund <!channel>", owner="kim.lee",
                                   due=(date.today() + timedelta(days=2)).isoformat())
    slack.event(payloads.app_home_opened(user=ASKER))
    slack.wait()
    home = slack.api.app_state.views[-1]["view"]["blocks"]
    actions = [e["action_id"] for b in home if b["type"] == "actions" for e in b["elements"]
               if e["value"] == promise.id]
    assert actions[-1] == ACTION_PROMISE_REASSIGN
    click_reassign(slack, promise.id, user=ASKER, home=True)
    modal = slack.api.app_state.views[-1]
    assert modal["method"] == "views.open" and modal["view"]["callback_id"] == REASSIGN_MODAL
    shown = valid(modal["view"]["blocks"])
    assert "Send the refund &lt;!channel&gt;" in shown and "Grace Hopper (C10003)" in shown and "Kim Lee" in shown
    assert due_shown(shown, promise.due_at).endswith(" 17:00 (Europe/London)")
    # Someone outside the staff list can't take it: said on the field, nothing changes.
    outsider = submit_reassign(slack, modal["view"], user=ASKER, to="U0NOSTAFF1")
    assert outsider["response_action"] == "errors" and "staff list" in outsider["errors"][NEW_OWNER_BLOCK]
    assert submit_reassign(slack, modal["view"], user=ASKER, to=SAM, why="Sam looks after billing") == {}
    assert records.promises.get(promise.id).owner == "sam.reed"
    [event] = [e for e in records.promises.events(promise.id) if e.kind == "reassigned"]
    assert (event.by, event.old_value, event.new_value, event.why) == (
        "kim.lee", "kim.lee", "sam.reed", "Sam looks after billing")
    [told] = slack.api.posted(SAM)
    told_text = valid(told["blocks"])
    assert f"<@{ASKER}> handed a promise on to you: *Send the refund &lt;!channel&gt;*" in told_text
    assert "Sam looks after billing" in told_text
    assert due_shown(told_text, promise.due_at).endswith(" 17:00 (Europe/London)")
    assert unexpected_controls(told_text, allowed=(f"<@{ASKER}>",)) == []
    assert [e["value"] for b in told["blocks"] if b["type"] == "actions" for e in b["elements"]] == [promise.id] * 4
    # The Home is published again without it.
    assert "No open promises" in "\n".join(texts(slack.api.app_state.views[-1]["view"]["blocks"]))


def test_reassign_is_refused_to_someone_else_but_allowed_to_an_admin(slack: Slack) -> None:
    organisation(slack)
    records = slack.services.records
    folder = slack.services.settings.data_dir
    (folder / "admin.csv").write_text(f"handle,name,function,manager,slack_user_id\nada.min,Ada Min,service,,{ADMIN}\n")
    assert records.staff.import_csv(folder / "admin.csv").rejected == 0
    promise = records.promises.add(customer="C10003", text="Call back", owner="sam.reed",
                                   due=(date.today() + timedelta(days=2)).isoformat())
    views = len(slack.api.app_state.views)
    click_reassign(slack, promise.id, user=PAT)
    assert "Only the promise's owner (or an admin) reassigns it." in slack.api.ephemeral(PAT)[-1]["text"]
    assert len(slack.api.app_state.views) == views  # no modal for Pat
    # A modal opened by the owner and submitted by someone else (a forged or shared view) is refused too.
    click_reassign(slack, promise.id, user=SAM)
    modal = slack.api.app_state.views[-1]["view"]
    refused = submit_reassign(slack, modal, user=PAT, to=PAT)
    assert refused["errors"][NEW_OWNER_BLOCK] == "Only the promise's owner (or an admin) reassigns it."
    assert records.promises.get(promise.id).owner == "sam.reed" and slack.api.posted(PAT) == []
    # Reassigning to the owner already holding it is said on the field.
    same = submit_reassign(slack, modal, user=SAM, to=SAM)
    assert "already owns" in same["errors"][NEW_OWNER_BLOCK]
    # An admin may.
    click_reassign(slack, promise.id, user=ADMIN)
    assert submit_reassign(slack, slack.api.app_state.views[-1]["view"], user=ADMIN, to=PAT) == {}
    assert records.promises.get(promise.id).owner == "pat.doe"
    assert "handed a promise on to you" in slack.api.posted(PAT)[-1]["blocks"][0]["text"]["text"]


def test_reminders_carry_the_reassign_button(slack: Slack) -> None:
    from jobs import promise_reminders

    organisation(slack)
    promise = slack.services.records.promises.add(customer="C10003", text="Call back", owner="sam.reed",
                                                  due=(date.today() + timedelta(days=2)).isoformat())
    [message] = promise_reminders.messages_for(slack.services.job_parts(), owner="sam.reed",
                                               now=promise.due_at - timedelta(hours=2))
    buttons = [e for b in message.blocks for e in (b.to_dict().get("elements") or []) if e.get("type") == "button"]
    assert [(b["action_id"], b["value"]) for b in buttons][-1] == (ACTION_PROMISE_REASSIGN, promise.id)
    # The reminder in the reader's zone; its notification text (plain, no tokens) in the promise's, named.
    fallback = due_shown(valid(message.blocks_json()), promise.due_at)
    assert fallback.endswith(" 17:00 (Europe/London)") and f"({fallback})" in message.text and "<" not in message.text


# -- Reschedule ---------------------------------------------------------------------------------------------
def test_reschedule_tells_the_owner_the_new_due_time_in_each_reader_s_zone(slack: Slack) -> None:
    organisation(slack)
    records = slack.services.records
    folder = slack.services.settings.data_dir
    # Sam works from New York: what Sam types into the modal is New York time.
    (folder / "sam.csv").write_text(
        f"handle,name,function,manager,slack_user_id,tz\nsam.reed,Sam Reed,service,kim.lee,{SAM},America/New_York\n")
    assert records.staff.import_csv(folder / "sam.csv").rejected == 0
    promise = records.promises.add(customer="C10003", text="Call <!here> back", owner="sam.reed",
                                   due=(date.today() + timedelta(days=2)).isoformat())
    click = payloads.block_actions(ACTION_PROMISE_RESCHEDULE, promise.id, user=SAM, channel="D0DIGEST01",
                                   message_ts=payloads.new_ts())
    assert slack.post(click).status_code == 200
    slack.wait()
    modal = slack.api.app_state.views[-1]
    assert modal["method"] == "views.open" and modal["view"]["callback_id"] == RESCHEDULE_MODAL

    def submit(day: date) -> dict[str, Any]:
        values = {
            DUE_DATE_BLOCK: {"value": {"type": "datepicker", "selected_date": day.isoformat()}},
            DUE_TIME_BLOCK: {"value": {"type": "timepicker", "selected_time": "09:30"}},
            RESCHEDULE_REASON_BLOCK: payloads.text_value("Engineer ill"),
        }
        response = slack.post(payloads.view_submission(RESCHEDULE_MODAL, values, user=SAM,
                                                       private_metadata=modal["view"]["private_metadata"]))
        slack.wait()
        return response.json() if response.text else {}

    # A modal's errors are plain text: the time refused reads in the zone it was given in, named.
    past = submit(date(2001, 1, 1))
    assert past["errors"] == {DUE_DATE_BLOCK: "Mon 01 Jan 2001 09:30 (America/New_York) is in the past; "
                                              "pick a later time"}
    assert slack.api.posted(SAM) == []
    day = date.today() + timedelta(days=5)
    assert submit(day) == {}
    due = datetime.combine(day, time(9, 30), tzinfo=ZoneInfo("America/New_York"))
    assert (records.promises.get(promise.id).due_at, records.promises.get(promise.id).due_tz) == (
        due, "America/New_York")
    [told] = slack.api.posted(SAM)
    assert told["text"].startswith("Rescheduled “Call &lt;!here&gt; back” to ")
    [token] = DUE_TOKEN.finditer(told["text"])
    assert int(token["epoch"]) == int(due.timestamp())
    assert token["fallback"] == f"{due:%a %d %b %Y} 09:30 (America/New_York)"
    assert told["text"].endswith(f" to {token.group(0)}.") and "UTC" not in told["text"]
    assert unexpected_controls(told["text"]) == []
