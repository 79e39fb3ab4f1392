"""Socket Mode requests through Bolt's socket-mode handler: acknowledged over the socket, answered once."""

from __future__ import annotations

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import build_app
from bot.socket_mode import DurableSocketModeHandler
from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, Slack, SocketRecorder, briefs
from tests.bot.test_asking import BOT, CHATBOT
from tests.bot.test_inbox import inbox_rows
from tests.slack_checks import texts


def test_socket_mode_event_is_acknowledged_and_a_redelivery_answered_once(slack: Slack) -> None:
    ts = payloads.new_ts()
    slack.api.add_message(GENERAL, f"<@{BOT}> {CHATBOT}", user=ASKER, ts=ts)
    envelope = payloads.event_callback(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=ASKER, channel=GENERAL, ts=ts))
    ack = slack.socket(envelope)
    assert ack.envelope_id == "env-0"
    slack.wait()
    again = slack.socket(envelope, retry_attempt=1)  # Slack redelivers over the socket too
    assert again.envelope_id
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts


def test_socket_mode_slash_command_help_comes_back_in_the_acknowledgement(slack: Slack) -> None:
    command = payloads.slash_command("help", user=ASKER, channel=GENERAL, response_url=slack.api.response_url())
    ack = slack.socket(command, kind="slash_commands")
    assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
    assert any("/advocate help" in t for t in texts(ack.payload["blocks"]))


def test_socket_mode_shortcut_and_signature_free_requests(slack: Slack) -> None:
    ts = payloads.new_ts()
    shortcut = payloads.message_shortcut("assess_customer_impact", user=ASKER, channel=GENERAL,
                                         message_text=CHATBOT, message_ts=ts)
    slack.socket(shortcut, kind="interactive")
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts


def test_socket_mode_app_needs_no_signing_secret(tmp_path, slack_api, fake_embeddings) -> None:  # noqa: ANN001
    from advocate.services import build_services
    from bot.app import SlackSetupError, build_app
    from tests.bot.conftest import Slack, bot_settings, ingest_small_pack

    services = build_services(bot_settings(tmp_path / "data", slack_api, slack_signing_secret=""),
                              embedder=fake_embeddings)
    try:
        ingest_small_pack(services, tmp_path / "pack")
        try:
            build_app(services.bot_parts())  # HTTP mode refuses to run unverified
            raise AssertionError("built an HTTP app without a signing secret")
        except SlackSetupError as exc:
            assert "SLACK_SIGNING_SECRET is not set" in str(exc)
        app, bot = build_app(services.bot_parts(), verify_requests=False)
        bot.open(app)  # as `advocate serve` does before it connects
        slack = Slack(app=app, bot=bot, api=slack_api, services=services, http_app=None)  # type: ignore[arg-type]
        try:
            ts = payloads.new_ts()
            slack_api.add_message(GENERAL, f"<@{BOT}> {CHATBOT}", user=ASKER, ts=ts)
            slack.socket(payloads.event_callback(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=ASKER,
                                                                      channel=GENERAL, ts=ts)))
            slack.wait()
            assert len(briefs(slack_api, GENERAL)) == 1
        finally:
            bot.close()
    finally:
        services.close()


def test_a_socket_mode_event_is_on_record_before_it_is_acknowledged_and_answered_once_ready(slack: Slack) -> None:
    app, bot = build_app(slack.services.bot_parts(), verify_requests=False)  # a process starting: not open yet
    starting = Slack(app=app, bot=bot, api=slack.api, services=slack.services, http_app=None)  # type: ignore[arg-type]
    try:
        ts = payloads.new_ts()
        slack.api.add_message(GENERAL, f"<@{BOT}> {CHATBOT}", user=ASKER, ts=ts)
        envelope = payloads.event_callback(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=ASKER, channel=GENERAL,
                                                                ts=ts))
        assert starting.socket(envelope).envelope_id == "env-0"
        starting.socket(envelope, retry_attempt=1)  # Slack sends it again meanwhile
        starting.wait()
        # Acknowledged twice, on record once, waiting: a process stopped now would answer it on its next start.
        assert (briefs(slack.api, GENERAL), inbox_rows(slack)) == ([], 1)
        assert bot.open(app) == 1
        starting.wait()
        [brief] = briefs(slack.api, GENERAL)
        assert brief["thread_ts"] == ts and inbox_rows(slack) == 0
    finally:
        bot.close()


def test_a_socket_mode_event_that_cannot_be_recorded_is_not_acknowledged(
    slack: Slack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def records_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the records database does not answer")

    monkeypatch.setattr(slack.bot.inbox.ledger, "accept_events", records_down)
    ts = payloads.new_ts()
    envelope = payloads.event_callback(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=ASKER, channel=GENERAL,
                                                            ts=ts))
    handler = DurableSocketModeHandler(slack.app, inbox=slack.bot.inbox, app_token="xapp-1-A0ADVOCATE-1-test")
    recorder = SocketRecorder()
    try:
        handler.handle(recorder, SocketModeRequest(type="events_api", envelope_id="env-down", payload=envelope))  # type: ignore[arg-type]
    finally:
        handler.close()
    slack.wait()
    # No acknowledgement: Slack sends the envelope again, and nothing was answered meanwhile.
    assert recorder.responses == [] and briefs(slack.api, GENERAL) == []
    assert f"could not record event {envelope['event_id']} (ConnectionError)" in caplog.text
