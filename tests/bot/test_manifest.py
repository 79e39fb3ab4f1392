"""manifest.json asks for what the app uses, and the app handles everything the manifest subscribes to."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, Slack

MANIFEST = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text())
SAMPLE_EVENTS = {
    "app_home_opened": payloads.app_home_opened(user=ASKER),
    "app_mention": payloads.app_mention("<@UBOT0001>", user=ASKER, channel=GENERAL),
    "message.channels": payloads.message("hello", user=ASKER, channel=GENERAL),
    "message.groups": payloads.message("hello", user=ASKER, channel="G0PRIVATE1", channel_type="group"),
    "message.im": payloads.message("", user=ASKER, channel="D0ASKER001", channel_type="im"),
    "message.mpim": payloads.message("hello", user=ASKER, channel="G0GROUPDM1", channel_type="mpim"),
    "reaction_added": payloads.reaction_added("tada", user=ASKER, channel=GENERAL, ts="1.1", item_user=ASKER),
}


def test_scopes_are_exactly_the_ones_used() -> None:
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read", "channels:history", "channels:read", "chat:write", "commands", "files:read",
        "files:write", "groups:history", "groups:read", "im:history", "im:write", "mpim:history", "mpim:read",
        "reactions:read", "users:read",
    ]
    docs = (Path(__file__).resolve().parents[2] / "docs" / "slack-setup.md").read_text()
    for scope in MANIFEST["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in docs, f"docs/slack-setup.md does not say what {scope} is for"


def test_every_subscribed_event_shortcut_and_command_has_a_listener(slack: Slack) -> None:
    # Bolt answers 404 to a request no listener takes: Slack would retry it and see errors.
    for name in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        assert slack.post(payloads.event_callback(SAMPLE_EVENTS[name])).status_code == 200, name
    for shortcut in MANIFEST["features"]["shortcuts"]:
        request = payloads.message_shortcut(shortcut["callback_id"], user=ASKER, channel=GENERAL,
                                            message_text="Decision: something", message_ts=payloads.new_ts())
        assert slack.post(request).status_code == 200, shortcut["callback_id"]
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/advocate" and command["should_escape"] is True
    response = slack.post(payloads.slash_command("help", user=ASKER, channel=GENERAL,
                                                 response_url=slack.api.response_url()))
    assert response.status_code == 200
    slack.wait()
