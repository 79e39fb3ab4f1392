"""The advocate roster: managed by admins, advocates looped in fairly when none took part, and why."""

from __future__ import annotations

from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, GENERAL, ON_BOTH_STORES, Slack, briefs
from tests.bot.test_asking import CHATBOT, mention
from tests.slack_checks import texts

pytestmark = ON_BOTH_STORES  # what these tests check is stored: on the embedded default and a production's stores


def command(slack: Slack, text: str, *, user: str) -> str:
    slack.post(payloads.slash_command(text, user=user, channel=GENERAL, response_url=slack.api.response_url()))
    slack.wait()
    return slack.api.app_state.responses[-1]["text"]


def advocate_section(brief: dict) -> str:
    return next(t for t in texts(brief["blocks"]) if t.startswith("*Who should weigh in*"))


def test_only_admins_change_the_roster_and_anyone_can_list_it(slack: Slack) -> None:
    assert command(slack, "advocates add <@U0ALICE001|alice> service", user=ASKER) == (
        "Only admins change the advocate roster.")
    assert "No customer advocates yet" in command(slack, "advocates", user=ASKER)
    assert "Give one of the functions" in command(slack, "advocates add <@U0ALICE001|alice> astrology", user=ADMIN)
    assert "Name the person" in command(slack, "advocates add", user=ADMIN)
    assert command(slack, "advocates add <@U0ALICE001|alice> service", user=ADMIN) == (
        "<@U0ALICE001> is now a Service customer advocate.")
    assert "Service: <@U0ALICE001>" in command(slack, "advocates list", user=ASKER)
    assert "no longer" in command(slack, "advocates remove <@U0ALICE001>", user=ADMIN)
    assert "not on the advocate roster" in command(slack, "advocates remove <@U0ALICE001>", user=ADMIN)


def test_an_advocate_is_looped_in_when_none_took_part_rotating_fairly(slack: Slack) -> None:
    roster = slack.services.records.advocates
    roster.add(slack_user_id="U0ALICE001", function="service")
    roster.add(slack_user_id="U0BOB00001", function="service")
    roster.add(slack_user_id="U0CARL0001", function="sales")
    looped: list[str] = []
    for _ in range(3):
        ts, _ = mention(slack, CHATBOT)
        slack.wait()
        brief = [b for b in briefs(slack.api, GENERAL) if b["thread_ts"] == ts][0]
        section = advocate_section(brief)
        assert "no Service customer advocate has taken part in this thread" in section
        assert "“callbacks”" in section and "“chatbot”" in section  # says why
        ping = [m for m in slack.api.posted(GENERAL) if m.get("thread_ts") == ts and m["text"].startswith("<@")]
        assert len(ping) == 1  # an edit notifies nobody: the mention is a message of its own
        looped.append(ping[0]["text"][2:12])
    assert looped == ["U0ALICE001", "U0BOB00001", "U0ALICE001"]
    decisions = slack.services.records.slack.decisions()
    assert all(d.function == "service" and len(d.advocates) == 1 for d in decisions)


def test_no_mention_when_an_advocate_of_the_function_is_in_the_thread(slack: Slack) -> None:
    slack.services.records.advocates.add(slack_user_id="U0ALICE001", function="service")
    parent = payloads.new_ts()
    slack.api.add_message(GENERAL, "Proposal: " + CHATBOT, user=ASKER, ts=parent)
    slack.api.add_message(GENERAL, "I have doubts about this", user="U0ALICE001", thread_ts=parent)
    mention(slack, "how does this affect customers?", thread_ts=parent)
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert "<@U0ALICE001>, the Service customer advocate, is already in this thread" in advocate_section(brief)
    assert not [m for m in slack.api.posted(GENERAL) if m["text"].startswith("<@U0ALICE001>")]
    [decision] = slack.services.records.slack.decisions()
    assert decision.advocates == ["U0ALICE001"]


def test_no_advocate_on_the_roster_says_how_to_add_one(slack: Slack) -> None:
    mention(slack, CHATBOT)
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert "/advocate advocates add @someone service" in advocate_section(brief)
