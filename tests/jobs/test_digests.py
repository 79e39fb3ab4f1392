"""Manager digests and promise reminders, delivered to the local Slack API and checked as Slack sees them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from advocate.services import Services
from jobs import delivery_retry, digests, manager_digest, promise_reminders
from outbound.actions import (
    ACTION_PROMISE_BROKEN,
    ACTION_PROMISE_KEPT,
    ACTION_PROMISE_REASSIGN,
    ACTION_PROMISE_RESCHEDULE,
    ACTION_THANKS_MARK,
)
from outbound.layouts.keep_rate import with_chart_file
from tests.conftest import run_cli
from tests.jobs.conftest import NOW, assert_valid_message, dm
from tests.slack_api_server import SlackApiServer
from tests.slack_checks import texts


def all_text(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_manager_digests_reach_each_manager_once(org: Services, slack_api: SlackApiServer) -> None:
    report = digests.send(org.job_parts(), kind="manager", who=None, now=NOW)
    recipients = manager_digest.recipients(org.settings, org.records.staff.chart())
    assert report.count("failed") == 0 and report.count("sent") >= 1
    assert report.count("sent") + report.skipped == len(recipients)
    ruth = slack_api.posted(dm("ruth.okafor"))
    assert len(ruth) == 1
    blocks = assert_valid_message(ruth[0], channel=dm("ruth.okafor"))
    text = all_text(ruth[0])
    assert "Long-standing customers to thank" in text and "Ivan Briggs" in text  # 20 years on 24 Nov
    assert ACTION_THANKS_MARK in text and "C00359:20" in text
    # The rule that made these Ruth's, in one line above them.
    assert ("Who thanks: owner 1–4 years · team lead 5–9 · senior manager 10–19 · director 20+; at most team lead 5, "
            "senior manager 3, director 2 a week per person, longest tenure first, the rest to the owner.") in text
    assert "Your week with customers" in ruth[0]["text"]
    assert len(blocks) <= 50
    # The finance head sees the overdue refund promise of her team (P008, mary.quinn).
    graham = slack_api.posted(dm("graham.leach"))
    assert len(graham) == 1 and "P008" in all_text(graham[0]) and "Overdue promises" in all_text(graham[0])
    # Each digest with a keep rate to draw shows its chart inside: the image block names the uploaded file
    # (shared into no thread of its own) and its alt text states the figures.
    images = [m["blocks"][-1] for m in slack_api.posted() if m["blocks"][-1]["type"] == "image"]
    uploads = {u.file_id: u for u in slack_api.uploads}
    assert images and len(images) == len(uploads)
    for image in images:
        upload = uploads[image["slack_file"]["id"]]
        assert upload.data.startswith(b"\x89PNG") and upload.channel is None and upload.thread_ts is None
        assert image["alt_text"].startswith("Bar chart, Keep rate, ") and "(kept on time / closed)" in image["alt_text"]
    [ruth_image] = [b for b in ruth[0]["blocks"] if b["type"] == "image"]
    assert ruth_image["alt_text"] == (
        "Bar chart, Keep rate, Ruth Okafor's team, by week (kept on time / closed): W41 100% (1 of 1), "
        "W45 0% (0 of 1), W46 0% (0 of 1); the other 9 weeks closed none. No best past week to compare with "
        "yet: only weeks with 3 or more closed promises count.")
    # Sending again in the same week sends nothing new.
    before = len(slack_api.posted())
    again = digests.send(org.job_parts(), kind="manager", who=None, now=NOW + timedelta(hours=2))
    assert again.count("sent") == 0 and len(slack_api.posted()) == before


def test_a_digest_whose_chart_slack_never_processes_goes_out_with_the_figures_as_text(
    org: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01,))
    slack_api.processing_looks = 10**6  # files.info never reports an image
    report = digests.send(org.job_parts(), kind="manager", who="ruth.okafor", now=NOW)
    assert report.count("sent") == 1 and report.count("failed") == 0
    [ruth] = slack_api.posted(dm("ruth.okafor"))
    blocks = assert_valid_message(ruth, channel=dm("ruth.okafor"))
    assert not [b for b in ruth["blocks"] if b["type"] == "image"] and len(blocks) <= 50
    assert ruth["blocks"][-1]["text"] == {
        "type": "plain_text", "emoji": False,
        "text": "Keep rate, Ruth Okafor's team, by week (kept on time / closed): W41 100% (1 of 1), W45 0% (0 of 1), "
                "W46 0% (0 of 1); the other 9 weeks closed none. No best past week to compare with yet: only weeks "
                "with 3 or more closed promises count."}
    preview = digests.preview(org.job_parts(), kind="manager", who="ruth.okafor", now=NOW)
    assert ruth["blocks"][:-1] == preview[0].payload()["blocks"][:-1], "the rest of the digest as previewed"
    # The chart it went without is deleted, not left in the workspace.
    [upload] = slack_api.uploads
    assert upload.deleted and [c.params["file"] for c in slack_api.calls_to("files.delete")] == [upload.file_id]


def test_preview_is_exactly_what_is_sent(org: Services, slack_api: SlackApiServer) -> None:
    preview = digests.preview(org.job_parts(), kind="manager", who="ruth.okafor", now=NOW)
    assert len(preview) == 1
    digests.send(org.job_parts(), kind="manager", who="ruth.okafor", now=NOW)
    sent = slack_api.posted(dm("ruth.okafor"))[0]
    [upload] = slack_api.uploads  # the preview's chart placeholder is the uploaded file when sent
    assert sent["blocks"] == with_chart_file(preview[0].payload()["blocks"], upload.file_id)
    assert sent["text"] == preview[0].payload()["text"]
    assert "Ivan Briggs" in preview[0].readable()


def test_due_times_read_in_each_reader_s_zone_falling_back_to_the_organisations(org: Services) -> None:
    from records.models import Staff

    with org.records.session() as session:  # Ruth's week is in Tokyo; the due times' fallbacks in the org's zone
        ruth = session.get(Staff, "ruth.okafor")
        assert ruth is not None
        ruth.tz = "Asia/Tokyo"
    # Given in three other zones: overdue (10:00 UTC on Fri 20 Nov), due this week (09:00 New York on Thu 26 Nov),
    # and the sample's P008 to Graham's team, stored as 17:00+00:00.
    late = org.records.promises.add(customer="C00359", text="Call back about the bill", owner="leah.morgan",
                                    due="2026-11-20 10:00", tz="UTC", now=NOW - timedelta(days=4))
    org.records.promises.add(customer="C00359", text="Send the new contract", owner="leah.morgan",
                             due="2026-11-26 09:00", tz="America/New_York", now=NOW)
    digest = manager_digest.compute(org.job_parts(), "ruth.okafor", now=NOW)
    message = manager_digest.render(digest, with_chart=False)
    # Slack shows each due time in the reader's own zone; clients that cannot show the organisation's, named.
    late_due = (f"<!date^{int(late.due_at.timestamp())}^{{date_short_pretty}} {{time}}|"
                "Fri 20 Nov 2026 10:00 (Europe/London)>")
    raw = "\n".join(texts(message.payload()["blocks"]))
    assert f"leah.morgan · due {late_due} · *overdue" in raw and f"(due {late_due}, leah.morgan)" in raw
    text = message.readable()  # as the terminal preview reads it: each date as its fallback
    assert f"`{late.id}` Call back about the bill — *Ivan Briggs* · leah.morgan · due Fri 20 Nov 2026 10:00 " \
           "(Europe/London)" in text  # the overdue list
    assert "due Thu 26 Nov 2026 14:00 (Europe/London)" in text  # due this week
    assert "(due Fri 20 Nov 2026 10:00 (Europe/London), leah.morgan)" in text  # beside Ivan Briggs's thank-you
    assert "(due Fri 20 Nov 2026 10:00 (Europe/London)), or reschedule it with them" in text  # fix first
    graham = manager_digest.render(manager_digest.compute(org.job_parts(), "graham.leach", now=NOW),
                                   with_chart=False).readable()
    assert "due Wed 18 Nov 2026 17:00 (Europe/London)" in graham
    for shown in (text, graham):
        assert "(UTC)" not in shown and "America/New_York" not in shown and "Asia/Tokyo" not in shown
    assert digest.org_zone == org.records.timezone == org.settings.zone
    # The layout reads in the zone it is given: another organisation's zone, another reading and label.
    elsewhere = manager_digest.render(replace(digest, org_zone=ZoneInfo("America/New_York")),
                                      with_chart=False).readable()
    assert "· leah.morgan · due Thu 26 Nov 2026 09:00 (America/New_York)" in elsewhere
    assert "(due Fri 20 Nov 2026 05:00 (America/New_York), leah.morgan)" in elsewhere


def test_people_text_is_escaped(org: Services, slack_api: SlackApiServer) -> None:
    from records.models import Customer

    with org.records.session() as session:
        customer = session.get(Customer, "C00359")
        assert customer is not None
        customer.name = "<!channel> & <@U999> Ltd"
    org.records.promises.add(customer="C01456", text="Refund <!here> & <https://evil.example|click>",
                             owner="mary.quinn", due="2026-11-25 10:00", now=NOW)
    digests.send(org.job_parts(), kind="manager", who=None, now=NOW)
    for message in slack_api.posted():
        text = all_text(message)
        assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text
        assert "<https://evil" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt; Ltd" in all_text(slack_api.posted(dm("ruth.okafor"))[0])


def test_reminders_before_and_after_due_with_buttons(org: Services, slack_api: SlackApiServer) -> None:
    # P011 (joanne.tate) is due 24 Nov 16:00: within 24 h at 23 Nov 17:00, not at 09:00.
    morning = promise_reminders.send(org.job_parts(), now=NOW)
    assert all(o.key.split(":")[1] != "joanne.tate" for o in morning.outcomes)
    assert {o.key.split(":")[1] for o in morning.outcomes} == {"mary.quinn", "zara.ahmed", "ravi.menon"}  # overdue
    slack_api.reset()
    evening = NOW + timedelta(hours=8)
    report = promise_reminders.send(org.job_parts(), now=evening)
    keys = [o.key for o in report.outcomes]
    assert "reminders:joanne.tate:P011@20261124T1600Z/before" in keys
    joanne = slack_api.posted(dm("joanne.tate"))
    assert len(joanne) == 1
    assert_valid_message(joanne[0])
    actions = [e for b in joanne[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(a["action_id"], a["value"]) for a in actions] == [
        (ACTION_PROMISE_KEPT, "P011"), (ACTION_PROMISE_BROKEN, "P011"), (ACTION_PROMISE_RESCHEDULE, "P011"),
        (ACTION_PROMISE_REASSIGN, "P011"),
    ]
    assert "Due in about" in all_text(joanne[0])
    # Nothing twice; then "passed" once the due time is over.
    assert promise_reminders.send(org.job_parts(), now=evening + timedelta(minutes=10)).outcomes == []
    passed = promise_reminders.send(org.job_parts(), now=NOW + timedelta(days=1, hours=8))
    assert "reminders:joanne.tate:P011@20261124T1600Z/passed" in [o.key for o in passed.outcomes]
    assert "due time has passed" in all_text(slack_api.posted(dm("joanne.tate"))[-1])


def test_rescheduled_and_reassigned_promises_are_reminded_afresh(org: Services, slack_api: SlackApiServer) -> None:
    evening = NOW + timedelta(hours=8)
    promise_reminders.send(org.job_parts(), now=evening)
    org.records.promises.reschedule("P011", due="2026-11-26 16:00", why="engineer ill", by="joanne.tate", now=evening)
    org.records.promises.reassign("P011", to="steve.rudd", by="colin.mcbride", now=evening)
    report = promise_reminders.send(org.job_parts(), now=NOW + timedelta(days=2, hours=8))
    assert "reminders:steve.rudd:P011@20261126T1600Z/before" in [o.key for o in report.outcomes]
    assert len(slack_api.posted(dm("steve.rudd"))) == 1


def test_digest_preview_and_send_from_the_cli(org: Services, slack_api: SlackApiServer) -> None:
    shown = run_cli("digest", "preview", "--kind", "manager", "--for", "ruth.okafor", "--json", services=org)
    assert shown.exit_code == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert payload["messages"][0]["blocks"] and payload["messages"][0]["text"]
    readable = run_cli("digest", "preview", "--kind", "manager", "--for", "ruth.okafor", services=org)
    assert "Long-standing customers to thank" in readable.stdout and "&lt;" not in readable.stdout
    unknown = run_cli("digest", "preview", "--kind", "manager", "--for", "nobody", services=org)
    assert unknown.exit_code == 2 and "is not in staff" in unknown.stderr
    bad_kind = run_cli("digest", "preview", "--kind", "weekly", "--for", "ruth.okafor", services=org)
    assert bad_kind.exit_code == 2 and "--kind 'weekly'" in bad_kind.stderr
    sent = run_cli("digest", "send", "--kind", "manager", "--for", "ruth.okafor", services=org)
    assert sent.exit_code == 0 and "sent 1" in sent.stdout
    assert len(slack_api.posted(dm("ruth.okafor"))) == 1
    status = run_cli("digest", "status", "--sent", "--json", services=org)
    rows = json.loads(status.stdout)["deliveries"]
    assert [r["status"] for r in rows] == ["sent"]


def test_the_digest_keep_rate_is_kept_on_time_over_closed_with_overdue_ones_beside_it(org: Services) -> None:
    # Graham's team had one promise due last week (P008, mary.quinn), still open: nothing closed, so no
    # rate — and the open one is said, not hidden.
    [message] = digests.preview(org.job_parts(), kind="manager", who="graham.leach", now=NOW)
    text = all_text(message.payload())
    assert "*Team keep rate* last week (2026-W47): none of the promises due was closed." in text
    assert "1 promise due last week is still open past due: not in the rate until closed" in text
    # Once it is closed late, it counts: closed, and not kept on time.
    org.records.promises.close("P008", outcome="kept", by="mary.quinn")
    [message] = digests.preview(org.job_parts(), kind="manager", who="graham.leach", now=NOW + timedelta(minutes=5))
    text = all_text(message.payload())
    assert "*Team keep rate* last week (2026-W47): *0%* kept on time (0 of 1 closed; 1 kept late, 0 broken)." in text
    assert "still open past due" not in text


def test_slack_429_and_500s_during_a_digest_run_still_deliver_each_digest_and_chart_once(
    org: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.poster.pause_seconds = 0.05
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01, 0.01, 0.01))
    slack_api.fail_next("chat.postMessage", status=429, retry_after=1)  # waited out
    slack_api.fail_next("chat.postMessage", status=500, after_posting=True)  # posted, unheard: found in history
    slack_api.fail_next("files.completeUploadExternal", status=500, after_posting=True)  # completed, unheard
    slack_api.fail_next("files.getUploadURLExternal", status=500)  # retried by the client
    slack_api.processing_looks = 3  # the first chart is still being processed after three looks: waited for
    report = digests.send(org.job_parts(), kind="manager", who=None, now=NOW)
    assert report.count("failed") == 0 and report.count("pending") == 0
    retried = delivery_retry.send(org.job_parts(), now=NOW + timedelta(minutes=10))
    assert retried.outcomes == []
    messages = slack_api.posted()
    assert len(messages) == report.count("sent")
    assert len({m["channel"] for m in messages}) == len(messages)  # one digest per manager
    shown = [b["slack_file"]["id"] for m in messages for b in m["blocks"] if b["type"] == "image"]
    assert shown and len(set(shown)) == len(shown)  # one chart per digest
    for key in [o.key for o in report.outcomes]:
        row = org.records.deliveries.get(key)
        assert row is not None and row.status == "sent"
        if row.chart_png:
            assert row.chart_file_id in shown


def test_the_manager_digest_stays_within_its_length_budget(org: Services) -> None:
    """Measured on the sample pack at NOW, every manager's digest: the longest (Dan Whitlock's: five
    thank-yous, the rule, promises, keep rate and chart) is 20 blocks, 33 lines and 3,551 characters of text.
    The budget leaves a little room and says so when a change makes a digest longer. (No feedback is
    ingested here; each thank-you quotes at most two of the customer's comments, 200 characters each.)"""
    sizes = {}
    for handle in manager_digest.recipients(org.settings, org.records.staff.chart()):
        for message in digests.preview(org.job_parts(), kind="manager", who=handle, now=NOW):
            shown = list(texts(message.payload()["blocks"]))
            sizes[handle] = (len(message.blocks), sum(t.count("\n") + 1 for t in shown), sum(len(t) for t in shown))
    blocks, lines, characters = (max(size[i] for size in sizes.values()) for i in range(3))
    assert blocks <= 22 and lines <= 36 and characters <= 3_800, sizes
