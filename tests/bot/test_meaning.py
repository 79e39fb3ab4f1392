"""With the sample pack and the real model: a brief in Slack says what the knowledge base says."""

from __future__ import annotations

from pathlib import Path

import pytest

from advocate.services import Services, build_services
from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, bot_settings, briefs, make_slack
from tests.slack_api_server import SlackApiServer
from tests.slack_checks import assert_within_limits, texts, unexpected_controls


@pytest.mark.slow
def test_sample_pack_brief_in_slack_is_grounded_valid_and_safe(
    sample_services: Services, slack_api: SlackApiServer, tmp_path: Path
) -> None:
    # The sample pack's stores, with Slack settings added (the session's services stay untouched).
    settings = bot_settings(sample_services.settings.data_dir, slack_api)
    services = build_services(settings, embedder=sample_services.embedder)
    slack, bot = make_slack(services, slack_api)
    try:
        question = "We plan to replace callbacks with a chatbot to cut contact-centre costs"
        ts = payloads.new_ts()
        slack_api.add_message(GENERAL, f"<@UBOT0001> {question}", user=ASKER, ts=ts)
        slack.event(payloads.app_mention(f"<@UBOT0001> {question}", user=ASKER, channel=GENERAL, ts=ts))
        slack.wait(120)
        [brief] = briefs(slack_api, GENERAL)
        assert_within_limits(brief["blocks"])
        shown = "\n".join(texts(brief["blocks"]))
        assert unexpected_controls(shown) == []
        assert "*What customers told us*" in shown and "“" in shown  # verbatims quoted
        assert "callback" in shown.lower()
        sources = next(t for t in texts(brief["blocks"]) if t.startswith("*Sources*"))
        assert sources.count("`[") >= 3
    finally:
        bot.close()
        services.close()
