"""The buttons under a brief, the modals they open, App Home, and the digest buttons."""

from __future__ import annotations

import json
from datetime import date, timedelta

from outbound.layouts.brief_message import FULL_BRIEF, HELPFUL, NOT_HELPFUL, RAISE_CONCERN, RECORD_PROMISE
from outbound.layouts.home import HOME_ASK
from outbound.layouts.modals import ASK_MODAL, CONCERN_MODAL, PROMISE_MODAL
from records.models import BriefFeedback, Concern
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ADVOCATE, ASKER, GENERAL, ON_BOTH_STORES, Slack, briefs
from tests.bot.test_asking import CHATBOT, mention
from tests.slack_checks import assert_within_limits, texts, unexpected_controls

pytestmark = ON_BOTH_STORES  # what these tests check is stored: on the embedded default and a production's stores


def brief_in_general(slack: Slack) -> tuple[str, dict]:
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    brief_id = next(b for b in brief["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    return brief_id, brief


def click(slack: Slack, action_id: str, brief_id: str, brief: dict, *, user: str) -> None:
    response = slack.post(payloads.block_actions(action_id, brief_id, user=user, channel=GENERAL,
                                                 message_ts=brief["ts"], thread_ts=brief["thread_ts"]))
    assert response.status_code == 200
    slack.wait()


def brief_id_of(message: dict) -> str:
    return next(b for b in message["blocks"] if b["type"] == "actions")["elements"][0]["value"]


def test_votes_are_recorded_against_the_brief_once_per_person(slack: Slack) -> None:
    brief_id, brief = brief_in_general(slack)
    # Every button under the brief carries its id.
    buttons = next(b for b in brief["blocks"] if b["type"] == "actions")
    assert buttons["block_id"] == f"brief:{brief_id}" and {e["value"] for e in buttons["elements"]} == {brief_id}
    click(slack, HELPFUL, brief_id, brief, user=ASKER)
    click(slack, NOT_HELPFUL, brief_id, brief, user=ASKER)  # changed their mind: changed, not added
    click(slack, HELPFUL, brief_id, brief, user="U0SECOND01")
    with slack.services.records.session() as session:
        votes = sorted((f.brief_id, f.slack_user_id, f.helpful) for f in session.query(BriefFeedback))
    assert votes == [(brief_id, ASKER, False), (brief_id, "U0SECOND01", True)]
    [decision] = slack.services.records.slack.decisions()
    assert (decision.helpful, decision.not_helpful) == (1, 1)
    assert slack.api.ephemeral(ASKER)[0]["text"].startswith("Thanks — recorded as helpful")
    click(slack, HELPFUL, "unknown00000", brief, user=ASKER)
    assert "no longer on record" in slack.api.ephemeral(ASKER)[-1]["text"]


def test_a_second_brief_in_the_same_thread_gets_votes_of_its_own(slack: Slack) -> None:
    first_id, first = brief_in_general(slack)
    question = "What about customers who are not comfortable with chat?"
    reply_ts = payloads.new_ts()
    slack.api.add_message(GENERAL, question, user=ASKER, ts=reply_ts, thread_ts=first["thread_ts"])
    slack.event(payloads.message(question, user=ASKER, channel=GENERAL, ts=reply_ts, thread_ts=first["thread_ts"]))
    slack.wait()
    second = briefs(slack.api, GENERAL)[-1]
    second_id = brief_id_of(second)
    assert second_id != first_id and second["thread_ts"] == first["thread_ts"]
    click(slack, HELPFUL, first_id, first, user=ASKER)
    click(slack, NOT_HELPFUL, second_id, second, user=ASKER)  # does not overwrite the first brief's vote
    click(slack, HELPFUL, second_id, second, user=ASKER)  # changes the second brief's
    ledger = slack.services.records.slack
    assert ledger.votes(first_id) == {ASKER: True}
    assert ledger.votes(second_id) == {ASKER: True}
    with slack.services.records.session() as session:
        assert session.query(BriefFeedback).count() == 2
    [decision] = ledger.decisions()  # one decision thread, a vote on each of its briefs
    assert (decision.helpful, decision.not_helpful) == (2, 0)


def test_concern_is_for_advocates_posted_in_the_thread_and_recorded(slack: Slack) -> None:
    slack.services.records.advocates.add(slack_user_id=ADVOCATE, function="service")
    brief_id, brief = brief_in_general(slack)
    click(slack, RAISE_CONCERN, brief_id, brief, user=ASKER)
    assert "Concerns are raised by customer advocates" in slack.api.ephemeral(ASKER)[-1]["text"]
    assert not slack.api.app_state.views
    click(slack, RAISE_CONCERN, brief_id, brief, user=ADVOCATE)
    [opened] = slack.api.app_state.views
    assert opened["method"] == "views.open" and opened["view"]["callback_id"] == CONCERN_MODAL
    metadata = opened["view"]["private_metadata"]
    empty = slack.post(payloads.view_submission(CONCERN_MODAL, {"concern": payloads.text_value("  ")},
                                                user=ADVOCATE, private_metadata=metadata))
    assert empty.json()["response_action"] == "errors" and "concern" in empty.json()["errors"]
    concern = "Older customers rely on the callback <!channel>; a chatbot shuts them out."
    done = slack.post(payloads.view_submission(CONCERN_MODAL, {"concern": payloads.text_value(concern)},
                                               user=ADVOCATE, private_metadata=metadata))
    assert done.status_code == 200 and not done.text
    slack.wait()
    posted = slack.api.posted(GENERAL)[-1]
    assert posted["thread_ts"] == brief["thread_ts"]
    assert posted["text"].startswith(f":warning: <@{ADVOCATE}> raised a customer concern")
    assert unexpected_controls(posted["text"], allowed=(f"<@{ADVOCATE}>",)) == []
    with slack.services.records.session() as session:
        [stored] = session.query(Concern).all()
        assert stored.raised_by == ADVOCATE and stored.text == concern
    [decision] = slack.services.records.slack.decisions()
    assert decision.concerns == [(ADVOCATE, concern)] and ADVOCATE in decision.advocates


def test_full_brief_opens_a_modal_with_everything(slack: Slack) -> None:
    brief_id, brief = brief_in_general(slack)
    click(slack, FULL_BRIEF, brief_id, brief, user=ASKER)
    [opened] = slack.api.app_state.views
    view = opened["view"]
    assert view["type"] == "modal" and view["callback_id"] == "full_brief"
    assert_within_limits(view["blocks"], max_blocks=100)
    assert "07700 900123" not in "\n".join(texts(view["blocks"]))  # masked as in the channel


def test_full_brief_is_refused_to_guests_and_outside_its_conversation(slack: Slack) -> None:
    brief_id, brief = brief_in_general(slack)
    slack.api.set_user("U0GUEST001", is_restricted=True)
    click(slack, FULL_BRIEF, brief_id, brief, user="U0GUEST001")
    assert slack.api.ephemeral("U0GUEST001")[-1]["text"].startswith("Sorry — I can only help members")
    elsewhere = payloads.block_actions(FULL_BRIEF, brief_id, user=ASKER, channel="C0ELSEWHR1",
                                       message_ts=brief["ts"])
    slack.post(elsewhere)
    slack.wait()
    assert "no longer on record" in slack.api.ephemeral(ASKER)[-1]["text"]
    assert not slack.api.app_state.views


def test_record_a_promise_from_a_brief(slack: Slack) -> None:
    records = slack.services.records
    (slack.services.settings.data_dir / "staff.csv").write_text(
        f"handle,name,function,manager,slack_user_id\nsam.reed,Sam Reed,service,,{ASKER}\n")
    records.staff.import_csv(slack.services.settings.data_dir / "staff.csv")
    (slack.services.settings.data_dir / "customers.csv").write_text(
        "id,name,customer_since,owner,segment\nC10001,Ada Lovelace,2015-03-01,sam.reed,home\n")
    records.customers.import_csv(slack.services.settings.data_dir / "customers.csv")
    brief_id, brief = brief_in_general(slack)
    assert RECORD_PROMISE in json.dumps(brief["blocks"])
    click(slack, RECORD_PROMISE, brief_id, brief, user=ASKER)
    [opened, _] = slack.api.app_state.views  # views.open, then views.update with the thread's permalink
    assert opened["view"]["callback_id"] == PROMISE_MODAL
    metadata = opened["view"]["private_metadata"]
    due = (date.today() + timedelta(days=3)).isoformat()

    def submit(customer: str, when: str) -> dict:
        values = {
            "customer": payloads.text_value(customer), "text": payloads.text_value("Call Ada back about the chatbot"),
            "owner": {"value": {"type": "users_select", "selected_user": ASKER}},
            "due_date": {"value": {"type": "datepicker", "selected_date": when}},
            "due_time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
        }
        response = slack.post(payloads.view_submission(PROMISE_MODAL, values, user=ASKER, private_metadata=metadata))
        slack.wait()
        return response.json() if response.text else {}

    unknown = submit("Nobody Known", due)
    assert unknown["response_action"] == "errors" and "customer" in unknown["errors"]
    past = submit("C10001", "2001-01-01")
    assert "in the past" in past["errors"]["due_date"]
    assert submit("C10001", due) == {}
    [promise] = records.promises.list(owners=["sam.reed"])
    assert promise.customer_id == "C10001" and promise.text == "Call Ada back about the chatbot"
    assert promise.permalink and GENERAL in promise.permalink
    assert slack.api.posted(GENERAL)[-1]["text"].startswith(f":handshake: <@{ASKER}> recorded a promise")


def test_app_home_shows_own_view_and_asks_through_a_modal(slack: Slack) -> None:
    slack.services.records.advocates.add(slack_user_id=ADVOCATE, function="service")
    slack.event(payloads.app_home_opened(user=ADVOCATE))
    slack.wait()
    [published] = slack.api.app_state.views
    assert published["method"] == "views.publish" and published["user_id"] == ADVOCATE
    home = "\n".join(texts(published["view"]["blocks"]))
    assert "Your advocate function:* service" in home and "None yet" in home
    slack.post(payloads.home_block_actions(HOME_ASK, user=ADVOCATE))
    slack.wait()
    assert slack.api.app_state.views[-1]["view"]["callback_id"] == ASK_MODAL
    empty = slack.post(payloads.view_submission(ASK_MODAL, {"question": payloads.text_value(" ")}, user=ADVOCATE))
    assert empty.json()["errors"] == {"question": "Say what is being decided."}
    hello = slack.post(payloads.view_submission(ASK_MODAL, {"question": payloads.text_value("Hello!")}, user=ADVOCATE))
    assert hello.json()["errors"] == {"question": "Say what is being decided."}
    slack.post(payloads.view_submission(ASK_MODAL, {"question": payloads.text_value(CHATBOT)}, user=ADVOCATE))
    slack.wait()
    # The brief arrives in the app's DM with them (conversations.open gives its id).
    [brief] = briefs(slack.api, "D" + ADVOCATE[1:])
    assert brief["thread_ts"] and "07700 900123" in "\n".join(texts(brief["blocks"]))
    slack.event(payloads.app_home_opened(user=ADVOCATE))
    slack.wait()
    home = "\n".join(texts(slack.api.app_state.views[-1]["view"]["blocks"]))
    assert "Replace callbacks with a chatbot" in home


def test_a_guest_asking_from_app_home_is_refused_in_their_dm(slack: Slack) -> None:
    slack.api.set_user("U0GUEST001", is_restricted=True)
    slack.post(payloads.view_submission(ASK_MODAL, {"question": payloads.text_value(CHATBOT)}, user="U0GUEST001"))
    slack.wait()
    [note] = slack.api.ephemeral("U0GUEST001")
    assert note["channel"] == "D0GUEST001" and note["text"].startswith("Sorry — I can only help members")
    assert not slack.api.calls_to("chat.postMessage")


def test_digest_buttons_close_promises_for_their_owner_only(slack: Slack) -> None:
    records = slack.services.records
    folder = slack.services.settings.data_dir
    (folder / "staff.csv").write_text(
        f"handle,name,function,manager,slack_user_id\nsam.reed,Sam Reed,service,,{ASKER}\n"
        f"kim.lee,Kim Lee,service,,{ADMIN}\npat.doe,Pat Doe,sales,,U0PAT00001\n")
    records.staff.import_csv(folder / "staff.csv")
    (folder / "customers.csv").write_text("id,name,customer_since,owner,segment\nC10001,Ada,2015-03-01,sam.reed,home\n")
    records.customers.import_csv(folder / "customers.csv")
    promise = records.promises.add(customer="C10001", text="Call back", owner="sam.reed",
                                   due=(date.today() + timedelta(days=2)).isoformat())
    for user in ("U0PAT00001", ASKER):
        slack.post(payloads.block_actions("promise_kept", promise.id, user=user, channel="D0DIGEST01",
                                          message_ts=payloads.new_ts()))
        slack.wait()
    assert "Only the promise's owner" in slack.api.ephemeral("U0PAT00001")[-1]["text"]
    assert records.promises.get(promise.id).status == "kept"
    assert "was kept" in slack.api.ephemeral(ASKER)[-1]["text"]


def test_app_home_lists_open_promises_with_buttons_that_close_them(slack: Slack) -> None:
    records = slack.services.records
    folder = slack.services.settings.data_dir
    (folder / "staff.csv").write_text(
        f"handle,name,function,manager,slack_user_id\nsam.reed,Sam Reed,service,,{ASKER}\n")
    records.staff.import_csv(folder / "staff.csv")
    (folder / "customers.csv").write_text(
        "id,name,customer_since,owner,segment\nC10001,Ada,2015-03-01,sam.reed,home\n")
    records.customers.import_csv(folder / "customers.csv")
    promise = records.promises.add(customer="C10001", text="Send the refund <!channel>", owner="sam.reed",
                                   due=(date.today() + timedelta(days=2)).isoformat())
    slack.event(payloads.app_home_opened(user=ASKER))
    slack.wait()
    blocks = slack.api.app_state.views[-1]["view"]["blocks"]
    assert_within_limits(blocks, max_blocks=100)
    shown = "\n".join(texts(blocks))
    assert "Send the refund &lt;!channel&gt;" in shown and unexpected_controls(shown) == []
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["value"] == promise.id]
    assert [b["action_id"] for b in buttons] == ["promise_kept", "promise_broken", "promise_reschedule",
                                                  "promise_reassign"]
    click_home = payloads.home_block_actions("promise_broken", user=ASKER)
    click_home["actions"][0]["value"] = promise.id
    slack.post(click_home)
    slack.wait()
    assert records.promises.get(promise.id).status == "broken"
    assert "No open promises" in "\n".join(texts(slack.api.app_state.views[-1]["view"]["blocks"]))
