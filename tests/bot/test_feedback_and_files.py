"""Feedback channels indexed (edited → re-indexed, deleted → removed, bots skipped); admins' file ingests."""

from __future__ import annotations

from bot.feedback_channels import score_in, source_id
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, FEEDBACK, GENERAL, ON_BOTH_STORES, Slack, briefs
from tests.bot.test_asking import mention
from tests.slack_checks import texts

ROUTER = "Customer C20001 says: score 2/10 — the new router drops the connection every night at eleven."


def chunks_of(slack: Slack, channel: str, ts: str) -> list:
    return slack.services.store.by_metadata({"source": source_id(channel, ts)})


@ON_BOTH_STORES
def test_feedback_messages_are_indexed_with_their_permalink_and_follow_edits_and_deletes(slack: Slack) -> None:
    slack.api.set_channel(FEEDBACK, name="support-feedback")
    ts = payloads.new_ts()
    slack.event(payloads.message(ROUTER, user="U0SUPPORT1", channel=FEEDBACK, ts=ts))
    slack.event(payloads.message("Deploy finished", user="U0DEPLOY01", channel=FEEDBACK, bot_id="B0CI000001",
                                 subtype="bot_message"))
    slack.event(payloads.message("our own post", user="UBOT0001", channel=FEEDBACK, bot_id="B0001"))
    slack.wait()
    [chunk] = chunks_of(slack, FEEDBACK, ts)
    meta = chunk.metadata
    assert chunk.text == ROUTER and meta["kind"] == "feedback" and meta["score"] == 2
    assert meta["customer_id"] == "C20001" and meta["title"] == "Slack feedback in #support-feedback"
    assert meta["permalink"] == f"https://example.slack.com/archives/{FEEDBACK}/p{ts.replace('.', '')}"
    assert len(slack.services.store.by_metadata({"channel": "slack"})) == 1  # bots and own posts skipped
    assert not slack.api.calls_to("chat.postMessage")  # feedback channels get no briefs

    # A brief that uses it cites the Slack permalink.
    mention(slack, "we plan to replace the router that drops the connection at night")
    slack.wait()
    sources = next(t for t in texts(briefs(slack.api, GENERAL)[0]["blocks"]) if t.startswith("*Sources*"))
    assert f"<{meta['permalink']}|Slack feedback in #support-feedback>" in sources

    edited = ROUTER.replace("every night at eleven", "twice a night since the update")
    slack.event(payloads.message_changed(channel=FEEDBACK, ts=ts, new_text=edited, user="U0SUPPORT1"))
    slack.wait()
    [chunk] = chunks_of(slack, FEEDBACK, ts)
    assert chunk.text == edited
    slack.event(payloads.message_deleted(channel=FEEDBACK, ts=ts, user="U0SUPPORT1"))
    slack.wait()
    assert chunks_of(slack, FEEDBACK, ts) == []


def test_scores_written_in_messages() -> None:
    assert score_in("NPS 9 — loved it") == 9
    assert score_in("rated 2/5") == 4
    assert score_in("4/10 at best") == 4
    assert score_in("called at 10:30, no score") is None


@ON_BOTH_STORES
def test_admin_dms_a_file_to_ingest_and_gets_the_summary(slack: Slack) -> None:
    url = slack.api.add_file("billing-study.md", b"# Billing study\n\nPaper bills matter to older customers.\n")
    file_info = {"id": "F0STUDY001", "name": "billing-study.md", "mode": "hosted", "size": 60,
                 "url_private_download": url, "url_private": url}
    for user in (ASKER, ADMIN):
        slack.event(payloads.message("ingest research", user=user, channel=f"D{user[1:]}", channel_type="im",
                                     subtype="file_share", files=[file_info]))
        slack.wait()
    assert "Only admins" in slack.api.ephemeral(ASKER)[-1]["text"]
    [download] = slack.api.calls_to("file_download")
    assert download.authorization == "Bearer xoxb-test-token"
    replies = [m["text"] for m in slack.api.posted(f"D{ADMIN[1:]}")]
    assert replies[0].startswith(":inbox_tray: Ingesting 1 file")
    assert replies[-1].startswith("Ingested as research (internal):\n• *billing-study.md*: added 1")
    [hit] = slack.services.store.by_metadata({"title": "Billing study"})
    assert hit.metadata["kind"] == "research"


@ON_BOTH_STORES
def test_file_ingest_refuses_what_it_cannot_take(slack: Slack) -> None:
    dm = f"D{ADMIN[1:]}"
    good = slack.api.add_file("notes.md", b"# Notes\n\nSomething.\n")
    files = [
        {"id": "F1", "name": "slides.pptx", "url_private_download": good},
        {"id": "F2", "name": "notes.md", "url_private_download": "https://evil.example/steal-token"},
        {"id": "F3", "name": "notes.md", "url_private_download": good},
    ]
    slack.event(payloads.message("please ingest these", user=ADMIN, channel=dm, channel_type="im",
                                 subtype="file_share", files=files))
    slack.wait()
    summary = slack.api.posted(dm)[-1]["text"]
    assert "*slides.pptx* is a '.pptx' file" in summary
    assert "*notes.md* has no Slack download link" in summary  # the token never goes to another host
    assert "say which kind it is" in summary
    assert [c.params["path"] for c in slack.api.calls_to("file_download")] == [good.split(slack.api.base)[1]]


@ON_BOTH_STORES
def test_admin_ingests_pdf_docx_and_csv_sent_in_a_dm(slack: Slack, tmp_path) -> None:
    from tests.conftest import write_docx, write_pdf

    dm = f"D{ADMIN[1:]}"
    pdf = write_pdf(tmp_path / "churn.pdf", "Churn study", ["Customers who lose their paper bill leave sooner."])
    docx = write_docx(tmp_path / "panel.docx", "Customer panel", {"Findings": ["Older customers want a person."]})
    csv = (b"id,verbatim,score,date,channel,customer_id\n"
           b"F9,\"The app logged me out in the middle of paying my bill\",3,2026-10-09,app,C10009\n")

    def dm_files(text: str, *names_and_data: tuple[str, bytes]) -> str:
        files = [{"id": f"F0{n}", "name": name, "url_private_download": slack.api.add_file(name, data)}
                 for n, (name, data) in enumerate(names_and_data)]
        slack.event(payloads.message(text, user=ADMIN, channel=dm, channel_type="im", subtype="file_share",
                                     files=files))
        slack.wait()
        return slack.api.posted(dm)[-1]["text"]

    research = dm_files("ingest research", ("churn.pdf", pdf.read_bytes()), ("panel.docx", docx.read_bytes()))
    assert research.startswith("Ingested as research (internal):")
    assert "*churn.pdf*: added 1" in research and "*panel.docx*: added 1" in research
    feedback = dm_files("ingest feedback", ("app-feedback.csv", csv))
    assert "*app-feedback.csv*: added 1" in feedback
    [hit] = slack.services.store.by_metadata({"customer_id": "C10009"})
    assert hit.metadata["kind"] == "feedback" and hit.metadata["score"] == 3
    assert {c.metadata["kind"] for c in slack.services.store.by_metadata({"title": "Churn study"})} == {"research"}
