"""The inbox in the app (bot/inbox.py): an event that arrives while the app warms up is acknowledged at once,
waits on record, and is answered once the app is ready — once, even when Slack delivers it again meanwhile.
(A `kill -9` between the acknowledgement and the answer: tests/multiprocess/test_crash_resume.py.)"""

from __future__ import annotations

from sqlalchemy import text

from bot.app import build_app
from bot.server import http_app
from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, Slack, briefs
from tests.bot.test_asking import CHATBOT

BOT = "UBOT0001"


def inbox_rows(slack: Slack) -> int:
    with slack.services.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM slack_inbox")).scalar_one())


def test_an_event_that_comes_while_warming_up_is_answered_once_when_ready(slack: Slack) -> None:
    app, bot = build_app(slack.services.bot_parts())  # a process starting: not open yet
    starting = Slack(app=app, bot=bot, api=slack.api, services=slack.services, http_app=http_app(app, bot))
    try:
        assert starting.request("GET", "/healthz").status_code == 200
        assert starting.request("GET", "/readyz").status_code == 503
        ts = payloads.new_ts()
        slack.api.add_message(GENERAL, CHATBOT, user=ASKER, ts=ts)
        envelope = starting.event(payloads.app_mention(f"<@{BOT}> {CHATBOT}", user=ASKER, channel=GENERAL, ts=ts))
        starting.event(envelope["event"], eid=envelope["event_id"], retry_num=1)  # Slack tries again
        starting.wait()
        assert (briefs(slack.api, GENERAL), inbox_rows(slack)) == ([], 1)  # acknowledged, on record, waiting

        assert bot.open(app) == 1
        starting.wait()
        assert starting.request("GET", "/readyz").status_code == 200
        assert len(briefs(slack.api, GENERAL)) == 1
        in_thread = [m for m in slack.api.posted(GENERAL) if m.get("thread_ts") == ts]
        assert len(in_thread) == 1
        assert inbox_rows(slack) == 0
    finally:
        bot.close()
