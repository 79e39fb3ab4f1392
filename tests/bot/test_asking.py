"""Every way to ask, over signed HTTP requests: the answer lands in the right thread, valid, escaped, masked."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest

from bot.answering import APOLOGY, NOTHING_TO_DECIDE, PLACEHOLDER
from outbound.layouts.brief_message import full_brief_modal
from outbound.layouts.brief_view import BriefView
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, DECISIONS, DM, GENERAL, ON_BOTH_STORES, Slack, bot_texts, briefs
from tests.slack_checks import assert_within_limits, texts, unexpected_controls

BOT = "UBOT0001"  # the local server's bot user
CHATBOT = "we plan to replace callbacks with a chatbot so customers cannot reach a person"


def mention(slack: Slack, text: str, *, user: str = ASKER, channel: str = GENERAL, thread_ts: str | None = None,
            **kwargs: Any) -> tuple[str, dict[str, Any]]:
    ts = payloads.new_ts()
    slack.api.add_message(channel, f"<@{BOT}> {text}", user=user, ts=ts, thread_ts=thread_ts)
    envelope = slack.event(payloads.app_mention(f"<@{BOT}> {text}", user=user, channel=channel, ts=ts,
                                                thread_ts=thread_ts), **kwargs)
    return ts, envelope


def react(slack: Slack, ts: str, *, user: str = ASKER, emoji: str = "busts_in_silhouette") -> None:
    """`user` reacts to the message at `ts` in #general (written by U0AUTHOR01) with `emoji`."""
    slack.event(payloads.reaction_added(emoji, user=user, channel=GENERAL, ts=ts, item_user="U0AUTHOR01"))


def everything(message: dict[str, Any]) -> str:
    return "\n".join([*texts(message["blocks"]), message["text"]])


def test_mention_gets_placeholder_then_brief_in_its_thread(slack: Slack) -> None:
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    posts = [c for c in slack.api.calls_to("chat.postMessage")]
    assert posts[0].params["text"] == PLACEHOLDER and posts[0].params["thread_ts"] == ts
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts
    assert_within_limits(brief["blocks"])
    assert brief["text"].startswith("Customer impact brief:")  # the plain-text fallback
    # What the message shows, and the full brief behind "Show the full brief" (the same stored view).
    brief_id = next(b for b in brief["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    stored = slack.bot.ledger.brief(brief_id)
    assert stored is not None and stored.masked
    modal = full_brief_modal(BriefView.from_json(stored.view), masked=stored.masked)
    shown = everything(brief) + "\n" + "\n".join(texts(modal["blocks"]))
    # The verbatim "<!channel> <@U0BOSS>" is quoted as text: nobody is pinged.
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt;" in shown
    assert "&lt;http://evil.example|click here&gt; &amp; &lt;!here&gt;" in shown
    assert unexpected_controls(shown) == []
    # In a channel, the phone number and email in verbatims are masked.
    assert "07700 900123" not in shown and "[phone removed]" in shown
    assert "jo@example.com" not in shown and "[email removed]" in shown
    update = slack.api.calls_to("chat.update")[-1]
    assert update.params["channel"] == GENERAL and update.params["ts"] == brief["ts"]


def test_bad_signature_gets_401_and_nothing_happens(slack: Slack) -> None:
    envelope = payloads.event_callback(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=ASKER, channel=GENERAL))
    before = len(slack.api.calls)
    assert slack.post(envelope, secret="not-the-signing-secret").status_code == 401
    stale = int(time.time()) - 10 * 60  # replayed long after it was signed
    assert slack.post(envelope, timestamp=stale).status_code == 401
    slack.wait()
    assert len(slack.api.calls) == before


def test_a_signed_event_is_acknowledged_before_bolt_runs_it(slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Bolt is held up: the acknowledgement must not wait for it.
    gate = threading.Event()
    dispatch = slack.app.dispatch

    def held_dispatch(request: Any) -> Any:
        gate.wait(10)
        return dispatch(request)

    monkeypatch.setattr(slack.app, "dispatch", held_dispatch)
    try:
        started = time.perf_counter()
        ts, _ = mention(slack, CHATBOT)  # asserts the 200
        acknowledged_in = time.perf_counter() - started
        assert slack.api.calls_to("chat.postMessage") == []  # nothing has run yet
    finally:
        gate.set()
    slack.wait()
    assert acknowledged_in < 2.0
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts
    # What Slack shows from an answer still comes from Bolt: a slash command's help is in its response.
    response = slack.post(payloads.slash_command("help", user=ASKER, channel=GENERAL,
                                                 response_url=slack.api.response_url()))
    assert response.status_code == 200 and "/advocate <the decision or question>" in response.text


@ON_BOTH_STORES
def test_redelivered_event_is_answered_once_even_after_a_restart(slack: Slack) -> None:
    from tests.bot.conftest import make_slack

    ts, envelope = mention(slack, CHATBOT)
    slack.wait()
    # Slack retries with the same event id and X-Slack-Retry-Num.
    assert slack.post(envelope, retry_num=1).status_code == 200
    slack.wait()
    assert len(briefs(slack.api, GENERAL)) == 1
    # A new process on the same records still knows the event.
    again, bot = make_slack(slack.services, slack.api)
    try:
        assert again.post(envelope, retry_num=2).status_code == 200
        again.wait()
    finally:
        bot.close()
    assert len(briefs(slack.api, GENERAL)) == 1
    assert len([t for t in bot_texts(slack.api, GENERAL) if t == PLACEHOLDER]) == 0


def test_rate_limit_then_success_delivers_one_brief(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", status=429, retry_after=1)
    slack.api.fail_next("chat.update", status=429, retry_after=1)
    mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.update")] == [429, 200]
    assert len(slack.api.posted(GENERAL)) == 2  # the asker's message and the one brief
    assert len(briefs(slack.api, GENERAL)) == 1


def test_server_error_on_update_is_retried_and_delivered_once(slack: Slack) -> None:
    slack.api.fail_next("chat.update", status=500)
    mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.update")] == [500, 200]
    assert len(briefs(slack.api, GENERAL)) == 1


def test_failing_brief_becomes_an_apology_with_a_reference_in_the_log(
    slack: Slack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the vector store went away")

    monkeypatch.setattr(slack.services.advisor, "brief", broken)
    with caplog.at_level(logging.ERROR, logger="bot.answering"):
        ts, _ = mention(slack, CHATBOT)
        slack.wait()
    [message] = [m for m in slack.api.posted(GENERAL) if m.get("bot_id")]
    assert message["thread_ts"] == ts and not briefs(slack.api, GENERAL)
    reference = message["text"].split("`")[1]
    assert message["text"] == APOLOGY.format(ref=reference)
    assert any(reference in record.getMessage() for record in caplog.records)
    assert "went away" not in message["text"]


def test_empty_mention_gets_help_not_silence(slack: Slack) -> None:
    ts = payloads.new_ts()
    slack.event(payloads.app_mention(f"<@{BOT}>", user=ASKER, channel=GENERAL, ts=ts))
    slack.wait()
    [note] = slack.api.ephemeral(ASKER)
    assert "Tell me the decision" in note["text"]
    assert not slack.api.calls_to("chat.postMessage")


def test_small_talk_names_no_decision_and_gets_help_not_a_brief(slack: Slack) -> None:
    mention(slack, "hi there, thanks! :wave:")
    ts = payloads.new_ts()
    slack.api.add_message(DM, "hello?", user=ASKER, ts=ts)
    slack.event(payloads.message("hello?", user=ASKER, channel=DM, channel_type="im", ts=ts))
    command = slack.post(payloads.slash_command("ask any thoughts?", user=ASKER, channel=GENERAL,
                                                response_url=slack.api.response_url())).json()
    ts = payloads.new_ts()
    slack.api.add_message(DECISIONS, "Decision: ok", user=ASKER, ts=ts)
    slack.event(payloads.message("Decision: ok", user=ASKER, channel=DECISIONS, ts=ts))
    slack.wait()
    assert not slack.api.calls_to("chat.postMessage")
    notes = sorted(note["text"][:29] for note in slack.api.ephemeral(ASKER))
    assert notes == ["Tell me the decision and I'll", "Tell me what is being decided"]
    assert "“any thoughts?” names no decision" in "\n".join(texts(command["blocks"]))

    # In a decision's thread, "@Advocate any thoughts?" asks about the thread's decision.
    parent = payloads.new_ts()
    slack.api.add_message(GENERAL, f"Proposal: {CHATBOT}", user="U0AUTHOR01", ts=parent)
    mention(slack, "any thoughts?", thread_ts=parent)
    # A reaction on a greeting that opens no thread: the placeholder says why there is no brief.
    greeting = payloads.new_ts()
    slack.api.add_message(GENERAL, "Morning all!", user="U0AUTHOR01", ts=greeting)
    react(slack, greeting)
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == parent
    [record] = slack.services.records.slack.recent_briefs(ASKER)
    assert record.question == "any thoughts?"
    [placeholder] = [c for c in slack.api.calls_to("chat.postMessage") if c.params.get("thread_ts") == greeting]
    assert placeholder.params["text"] == PLACEHOLDER
    [update] = [c for c in slack.api.calls_to("chat.update") if c.params["ts"] != brief["ts"]]
    assert update.params["text"] == NOTHING_TO_DECIDE


def test_guest_and_slack_connect_users_get_a_polite_ephemeral_refusal(slack: Slack) -> None:
    slack.api.set_user("U0GUEST001", is_restricted=True)
    slack.api.set_user("U0OTHERORG", team_id="T0OTHERORG")
    for user in ("U0GUEST001", "U0OTHERORG"):
        mention(slack, CHATBOT, user=user)
    slack.wait()
    assert not slack.api.calls_to("chat.postMessage")
    for user in ("U0GUEST001", "U0OTHERORG"):
        [note] = slack.api.ephemeral(user)
        assert note["text"].startswith("Sorry — I can only help members of this organisation")


def test_shared_channels_never_get_briefs(slack: Slack) -> None:
    mention(slack, CHATBOT, shared=True)  # the Events API says so in the envelope
    slack.api.set_channel("C0CONNECT1", is_ext_shared=True)  # a slash command has to ask
    slack.post(payloads.slash_command(CHATBOT, user=ASKER, channel="C0CONNECT1",
                                      response_url=slack.api.response_url()))
    slack.wait()
    assert not slack.api.calls_to("chat.postMessage")
    assert "shared with other organisations" in slack.api.ephemeral(ASKER)[0]["text"]
    assert "shared with other organisations" in slack.api.app_state.responses[0]["text"]


def test_direct_message_is_answered_in_its_thread_unmasked(slack: Slack) -> None:
    ts = payloads.new_ts()
    slack.api.add_message(DM, CHATBOT, user=ASKER, ts=ts)
    slack.event(payloads.message(CHATBOT, user=ASKER, channel=DM, channel_type="im", ts=ts))
    slack.wait()
    [brief] = briefs(slack.api, DM)
    assert brief["thread_ts"] == ts
    assert "07700 900123" in everything(brief)  # a DM is not a channel: nothing to mask
    # "any thoughts?" in that thread names no decision of its own: it asks about the thread's.
    reply_ts = payloads.new_ts()
    slack.api.add_message(DM, "any thoughts?", user=ASKER, ts=reply_ts, thread_ts=ts)
    slack.event(payloads.message("any thoughts?", user=ASKER, channel=DM, channel_type="im", ts=reply_ts,
                                 thread_ts=ts))
    slack.wait()
    first, follow_up = briefs(slack.api, DM)
    assert follow_up["thread_ts"] == ts and not slack.api.ephemeral(ASKER)
    assert follow_up["blocks"][0]["text"]["text"].startswith("Customer impact: Replace callbacks with a chatbot")


@ON_BOTH_STORES
def test_restricted_sources_only_in_dms_to_admins_and_advocates(slack: Slack, tmp_path: Any) -> None:
    secret = tmp_path / "restricted" / "churn-study.md"
    secret.parent.mkdir()
    secret.write_text("# Board churn study\n\nCallbacks replaced by a chatbot lost us eleven percent of "
                      "long-tenure customers within a quarter, said the board churn study on callbacks.\n")
    slack.services.ingestor.ingest([secret], kind="research", visibility="restricted")

    def ask_in(channel: str, user: str, how: str) -> str:
        ts = payloads.new_ts()
        slack.api.add_message(channel, CHATBOT, user=user, ts=ts)
        if how == "dm":
            slack.event(payloads.message(CHATBOT, user=user, channel=channel, channel_type="im", ts=ts))
        else:
            slack.event(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=user, channel=channel, ts=ts))
        slack.wait()
        return everything(briefs(slack.api, channel)[-1])

    assert "Board churn study" in ask_in("D0ADMIN001", ADMIN, "dm")
    assert "Board churn study" not in ask_in(DM, ASKER, "dm")
    assert "Board churn study" not in ask_in(GENERAL, ADMIN, "mention")


@ON_BOTH_STORES
def test_follow_up_in_an_answered_thread_uses_the_thread_and_ordinary_replies_are_left_alone(slack: Slack) -> None:
    ts, _ = mention(slack, CHATBOT)
    slack.wait()

    def reply(text: str) -> None:
        reply_ts = payloads.new_ts()
        slack.api.add_message(GENERAL, text, user=ASKER, ts=reply_ts, thread_ts=ts)
        slack.event(payloads.message(text, user=ASKER, channel=GENERAL, ts=reply_ts, thread_ts=ts))
        slack.wait()

    reply("thanks, that's useful")
    reply("<@U0COLLEAG> can you check this with the contact centre?")
    assert len(briefs(slack.api, GENERAL)) == 1
    reply("What about customers who are not comfortable with chat?")
    follow_up = briefs(slack.api, GENERAL)
    assert len(follow_up) == 2 and follow_up[1]["thread_ts"] == ts
    # The thread's opening message is the decision the follow-up is about.
    assert follow_up[1]["blocks"][0]["text"]["text"].startswith("Customer impact: Replace callbacks with a chatbot")
    # A reply in a thread the bot never answered is nobody's business.
    other = payloads.new_ts()
    slack.api.add_message(GENERAL, "Should we move the offsite?", user=ASKER, ts=other)
    slack.event(payloads.message("What do you all think about moving it?", user=ASKER, channel=GENERAL,
                                 thread_ts=other))
    slack.wait()
    assert len(briefs(slack.api, GENERAL)) == 2


@ON_BOTH_STORES
def test_decision_channel_messages_get_a_brief_and_are_recorded(slack: Slack) -> None:
    ts = payloads.new_ts()
    text = "Decision: we will close the phone line at weekends and offer chat instead"
    slack.api.add_message(DECISIONS, text, user=ASKER, ts=ts)
    slack.event(payloads.message(text, user=ASKER, channel=DECISIONS, ts=ts))
    slack.event(payloads.message("lunch anyone?", user=ASKER, channel=DECISIONS))
    slack.event(payloads.message("Decision: same words in an ordinary channel", user=ASKER, channel=GENERAL))
    slack.wait()
    [brief] = briefs(slack.api, DECISIONS)
    assert brief["thread_ts"] == ts and not briefs(slack.api, GENERAL)
    [decision] = slack.services.records.slack.decisions()
    assert (decision.channel, decision.thread_ts, decision.created_by) == (DECISIONS, ts, ASKER)
    assert decision.question.startswith("Decision: we will close the phone line")
    assert decision.lenses and decision.function == "service"


def test_reaction_asks_about_that_message_once(slack: Slack) -> None:
    parent = payloads.new_ts()
    slack.api.add_message(GENERAL, "Proposal: outsource night calls to a partner", user="U0AUTHOR01", ts=parent)
    reply_ts = payloads.new_ts()
    slack.api.add_message(GENERAL, CHATBOT, user="U0AUTHOR01", ts=reply_ts, thread_ts=parent)
    # Two people react at once (Slack delivers both; they are handled side by side), and a third later.
    for user in (ASKER, "U0SECOND01"):
        react(slack, reply_ts, user=user)
    react(slack, parent, emoji="tada")
    slack.wait()
    react(slack, reply_ts, user="U0THIRD001")
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == parent  # the thread of the message reacted to
    ledger = slack.services.records.slack
    records = [r for user in (ASKER, "U0SECOND01", "U0THIRD001") for r in ledger.recent_briefs(user)]
    [record] = records  # the first to react asked; nobody else did
    assert record.how == "reaction" and record.question.startswith("we plan to replace callbacks")


def test_a_guest_reacting_first_is_refused_and_leaves_the_brief_to_a_member(slack: Slack) -> None:
    slack.api.set_user("U0GUEST001", is_restricted=True)
    ts = payloads.new_ts()
    slack.api.add_message(GENERAL, CHATBOT, user="U0AUTHOR01", ts=ts)
    react(slack, ts, user="U0GUEST001")
    slack.wait()
    [note] = slack.api.ephemeral("U0GUEST001")
    assert note["text"].startswith("Sorry — I can only help members of this organisation")
    assert not briefs(slack.api, GENERAL) and not slack.api.calls_to("conversations.replies")  # nothing read
    react(slack, ts)
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts
    [record] = slack.services.records.slack.recent_briefs(ASKER)
    assert record.how == "reaction"


def test_message_shortcut_answers_in_the_thread_of_the_message(slack: Slack) -> None:
    ts = payloads.new_ts()
    response = slack.post(payloads.message_shortcut("assess_customer_impact", user=ASKER, channel=GENERAL,
                                                    message_text=CHATBOT, message_ts=ts))
    assert response.status_code == 200
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts


def test_slash_command_help_unknown_and_empty_get_help(slack: Slack) -> None:
    for text, problem in (("help", None), ("", None), ("frobnicate", "I don't know the command “frobnicate”"),
                          ("ask", "Say what is being decided")):
        response = slack.post(payloads.slash_command(text, user=ASKER, channel=GENERAL,
                                                     response_url=slack.api.response_url()))
        assert response.status_code == 200
        body = response.json()
        assert body["response_type"] == "ephemeral"
        shown = "\n".join(texts(body["blocks"]))
        assert "/advocate <the decision or question>" in shown and ":busts_in_silhouette:" in shown
        if problem:
            assert problem in shown
    slack.wait()
    assert not slack.api.calls_to("chat.postMessage")


def test_slash_command_question_posts_what_was_asked_and_answers_in_its_thread(slack: Slack) -> None:
    response = slack.post(payloads.slash_command(f"{CHATBOT} <!channel>", user=ASKER, channel=GENERAL,
                                                 response_url=slack.api.response_url()))
    assert response.status_code == 200
    slack.wait()
    opener, brief = slack.api.posted(GENERAL)
    assert opener["text"].startswith(f"<@{ASKER}> asked how this affects customers: “we plan to replace")
    assert unexpected_controls(opener["text"], allowed=(f"<@{ASKER}>",)) == []
    assert brief["thread_ts"] == opener["ts"] and brief["blocks"]


def test_slash_command_where_the_bot_is_not_a_member_says_how_to_invite_it(slack: Slack) -> None:
    slack.api.handlers["chat.postMessage"] = lambda params: {"ok": False, "error": "not_in_channel"}
    slack.post(payloads.slash_command(CHATBOT, user=ASKER, channel="C0NOTMEMBR", response_url=slack.api.response_url()))
    slack.wait()
    assert "/invite @Advocate" in slack.api.app_state.responses[0]["text"]


def test_full_queue_tells_the_asker_to_try_again(slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack.bot.workers, "submit", lambda job: False)
    mention(slack, CHATBOT)
    slack.wait()
    [message] = [m for m in slack.api.posted(GENERAL) if m.get("bot_id")]
    assert "ask again in a minute" in message["text"]


def test_url_verification_and_unknown_paths(slack: Slack) -> None:
    response = slack.post({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aB"})
    assert response.status_code == 200 and "3eZbrw1aB" in response.text
    assert slack.request("GET", "/nope").status_code == 404


def test_healthz_is_liveness_and_readyz_checks_the_warm_up_and_the_stores(slack: Slack) -> None:
    live, ready = slack.request("GET", "/healthz"), slack.request("GET", "/readyz")
    assert (live.status_code, json.loads(live.text)) == (200, {"ok": True, "ready": True})
    assert ready.status_code == 200
    assert json.loads(ready.text)["checks"] == {"warm": "ok", "records": "ok", "knowledge": "ok"}

    slack.bot.ready.clear()  # as while `advocate serve --http` loads the model
    live, ready = slack.request("GET", "/healthz"), slack.request("GET", "/readyz")
    assert (live.status_code, json.loads(live.text)) == (200, {"ok": True, "ready": False})
    assert ready.status_code == 503 and json.loads(ready.text)["checks"]["warm"] == "warming up"

