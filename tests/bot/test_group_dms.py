"""Group DMs (mpim): a mention gets a brief in its thread, follow-ups there are answered, other messages
are left alone. A group DM is several people: personal data is masked, restricted sources stay out,
and nobody outside it is pinged."""

from __future__ import annotations

from tests.bot import payloads
from tests.bot.conftest import ADMIN, ADVOCATE, ASKER, Slack, briefs
from tests.bot.test_asking import BOT, CHATBOT, everything
from tests.slack_checks import texts, unexpected_controls

GROUP = "G0GROUPDM1"


def group_mention(slack: Slack, text: str, *, user: str = ASKER, thread_ts: str | None = None,
                  shared: bool = False) -> str:
    ts = payloads.new_ts()
    raw = f"<@{BOT}> {text}"
    slack.api.add_message(GROUP, raw, user=user, ts=ts, thread_ts=thread_ts)
    # Slack sends both: the message.mpim event and the app_mention. One answer.
    slack.event(payloads.message(raw, user=user, channel=GROUP, channel_type="mpim", ts=ts, thread_ts=thread_ts),
                shared=shared)
    slack.event(payloads.app_mention(raw, user=user, channel=GROUP, ts=ts, thread_ts=thread_ts), shared=shared)
    slack.wait()
    return ts


def test_mention_in_a_group_dm_is_answered_in_its_thread_masked(slack: Slack) -> None:
    slack.api.set_channel(GROUP, is_mpim=True, is_channel=False, is_group=True)
    ts = group_mention(slack, CHATBOT)
    [brief] = briefs(slack.api, GROUP)
    assert brief["thread_ts"] == ts
    shown = everything(brief)
    assert "07700 900123" not in shown and "[phone removed]" in shown  # not a 1:1 DM: masked
    assert unexpected_controls(shown) == []


def test_group_dm_loops_in_nobody_from_outside_and_keeps_the_rotation(slack: Slack) -> None:
    slack.api.set_channel(GROUP, is_mpim=True, is_channel=False, is_group=True)
    slack.services.records.advocates.add(slack_user_id=ADVOCATE, function="service")
    group_mention(slack, CHATBOT)
    [brief] = briefs(slack.api, GROUP)
    section = next(t for t in texts(brief["blocks"]) if t.startswith("*Who should weigh in*"))
    assert "A group DM can't bring anyone in" in section and "<@" not in section
    assert not [m for m in slack.api.posted(GROUP) if m.get("bot_id") and "<@" in m["text"]]  # no ping
    [advocate] = slack.services.records.advocates.active()
    assert advocate.last_mentioned_at is None  # their turn is not used up


def test_follow_ups_in_a_group_dm_thread_are_answered_and_chatter_is_left_alone(slack: Slack) -> None:
    slack.api.set_channel(GROUP, is_mpim=True, is_channel=False, is_group=True)
    ts = group_mention(slack, CHATBOT)
    chatter = payloads.new_ts()
    slack.api.add_message(GROUP, "Should we get lunch first?", user=ASKER, ts=chatter)
    slack.event(payloads.message("Should we get lunch first?", user=ASKER, channel=GROUP, channel_type="mpim",
                                 ts=chatter))
    question = "What about customers who are not comfortable with chat?"
    reply = payloads.new_ts()
    slack.api.add_message(GROUP, question, user=ASKER, ts=reply, thread_ts=ts)
    slack.event(payloads.message(question, user=ASKER, channel=GROUP, channel_type="mpim", ts=reply, thread_ts=ts))
    slack.wait()
    answered = briefs(slack.api, GROUP)
    assert [b["thread_ts"] for b in answered] == [ts, ts]
    assert [r.how for r in slack.services.records.slack.recent_briefs(ASKER)] == ["follow_up", "mention"]


def test_restricted_sources_stay_out_of_group_dms_even_for_admins(slack: Slack, tmp_path) -> None:
    secret = tmp_path / "restricted" / "churn-study.md"
    secret.parent.mkdir()
    secret.write_text("# Board churn study\n\nCallbacks replaced by a chatbot lost us eleven percent of "
                      "long-tenure customers within a quarter, said the board churn study on callbacks.\n")
    slack.services.ingestor.ingest([secret], kind="research", visibility="restricted")
    slack.api.set_channel(GROUP, is_mpim=True, is_channel=False, is_group=True)
    group_mention(slack, CHATBOT, user=ADMIN)
    [brief] = briefs(slack.api, GROUP)
    assert "Board churn study" not in everything(brief)


def test_a_group_dm_with_people_from_another_organisation_gets_no_brief(slack: Slack) -> None:
    slack.api.set_channel(GROUP, is_mpim=True, is_channel=False, is_group=True, is_ext_shared=True)
    group_mention(slack, CHATBOT)
    assert not slack.api.calls_to("chat.postMessage")
    assert "shared with other organisations" in slack.api.ephemeral(ASKER)[0]["text"]
