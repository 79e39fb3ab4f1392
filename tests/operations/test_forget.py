"""`advocate forget-customer`: afterwards no search (dense or keyword) and no brief can surface the customer's
words, their records are gone, the decision logs mask them, and ingesting the same files again does not
bring them back — while everyone else's feedback stays.

The end-to-end test uses the real embedding model (what a brief surfaces is about meaning); the store
part also runs on a Chroma server with PostgreSQL (the record manager and the keyword index there).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from slack_sdk import WebClient
from typer.testing import Result

from advocate.services import Services, build_services
from advocate.settings import Settings
from bot.feedback_channels import FeedbackChannels
from operations.forget import CustomerForgetter, UnknownCustomer
from records.forgotten import FORGOTTEN_MASK, CustomerMasker, forgotten_hash
from tests.conftest import SAMPLE_PACK, run_cli
from tests.databases import fresh_postgres_schema
from tests.slack_api_server import SlackApiServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# Not all hex digits: the traces search finds an id by its bytes, and "C10001" had turned up inside an export
# manifest's sha256 digest ("…b5ac10001e1e…"), by chance.
FORGET = "K10001"
NAME = "Margaret Hale"
VERBATIM = ("I waited in all Saturday for the engineer with my granddaughter's birthday cake melting on the side, "
            "and the chatbot kept telling me my callback was booked.")
OTHER = "The chatbot sorted my router settings at midnight in two minutes. Brilliant, no waiting for a callback."
THIRD = "We lost a morning of card payments because the callback promised for nine came at three."
QUESTION = "We plan to replace callbacks with a chatbot to cut contact-centre costs. How does this affect customers?"
CUSTOMERS = f"""id,name,customer_since,owner,segment,value
{FORGET},{NAME},2010-03-01,ruth.okafor,household,540
C10002,Owen Pryce,2015-06-11,ruth.okafor,household,420
C10003,Brightside Bakery Ltd,2018-09-20,dan.whitlock,business,2900
"""
FEEDBACK = f"""id,date,channel,customer_id,score,verbatim
K1,2026-10-01,survey,{FORGET},2,"{VERBATIM}"
K2,2026-10-02,chat,C10002,10,"{OTHER}"
K3,2026-10-03,phone,C10003,3,"{THIRD}"
K4,2026-10-04,survey,{FORGET},6,Fine on the whole but the engineer forgot to put the bins back.
K5,2026-10-05,survey,,8,Setting up the app took five minutes.
"""
TRANSCRIPT = f"""Call transcript: missed engineer visit
Date: 2026-10-06
Channel: phone
Customer: {FORGET} ({NAME}, household, customer since 2010)
Staff: Ruth Okafor (ruth.okafor)

AGENT: I'm sorry the engineer did not come on Saturday.
CUSTOMER: The whole day wasted, the cake melted, and the chatbot said everything was fine.
"""


def invoke(svc: Services, *args: str, input: str | None = None) -> Result:
    return run_cli(*args, services=svc, input=input)


def forgetter_for(svc: Services) -> CustomerForgetter:
    return CustomerForgetter(records=svc.records, store=svc.store, record_manager=svc.ingestor.record_manager)


def write_pack(root: Path) -> Path:
    pack = root / "pack"
    for folder in ("definition", "feedback", "transcripts"):
        (pack / folder).mkdir(parents=True)
    (pack / "definition" / "definition.md").write_text(
        (SAMPLE_PACK / "definition" / "customer-centricity.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (pack / "feedback" / "survey.csv").write_text(FEEDBACK, encoding="utf-8")
    (pack / "transcripts" / "2026-10-06-missed-visit.txt").write_text(TRANSCRIPT, encoding="utf-8")
    return pack


def load_records(svc: Services, root: Path) -> None:
    records = svc.records
    assert records.staff.import_csv(SAMPLE_PACK / "staff.csv").rejected == 0
    (root / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert records.customers.import_csv(root / "customers.csv").rejected == 0
    records.promises.add(customer=FORGET, text="Call back with the new engineer date", owner="ruth.okafor",
                         due="2026-11-30 16:00", now=NOW)
    records.promises.add(customer="C10002", text="Send the router guide", owner="ruth.okafor",
                         due="2026-11-30 16:00", now=NOW)
    records.thanks.mark(FORGET, milestone=15, by="ruth.okafor", now=NOW)
    records.slack.record_brief(
        brief_id="b1", channel="C0DECIDE1", thread_ts="1700000000.000100", message_ts="1700000001.000100",
        asked_by="U0ASKER01", how="mention", question=f"What about {NAME} ({FORGET}) and the chatbot?",
        masked=True, lenses=[], function="service", advocates=[], permalink="https://example.slack.com/p1",
        view={"sources": [{"n": 1, "customer_id": FORGET, "text": VERBATIM},
                          {"n": 2, "customer_id": "C10002", "text": OTHER}],
              "sections": {"customers_said": f"“{VERBATIM[:90]}…” [1]\n“{OTHER}” [2]"}},
    )
    records.slack.record_concern("b1", user="U0ADVOC01", text=f"Remember {FORGET}: “{VERBATIM}” We cannot do this.")


def texts(sources) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.text for s in sources]


# -- the whole story, with the real model -----------------------------------------------------------------
@pytest.mark.slow
def test_forgotten_customer_is_gone_from_search_briefs_records_and_reingest(
    real_services: Services, tmp_path: Path
) -> None:
    svc = real_services
    pack = write_pack(tmp_path)
    load_records(svc, tmp_path)
    assert svc.ingestor.ingest([pack]).rejected == 0

    # Before: their words are found by meaning, by keyword and in a brief; their card shows them.
    everything = {"visibilities": ("internal", "restricted")}
    assert VERBATIM in texts(svc.retriever.search(QUESTION, k=20, **everything))
    own = {h.id for h in svc.store.by_metadata({"customer_id": FORGET})}
    assert len(own) >= 3, "two feedback rows and the transcript"
    assert own & {cid for cid, _ in svc.store.lexical.search("granddaughter birthday cake melting")}
    assert VERBATIM in texts(svc.advisor.brief(QUESTION).sources)
    card = invoke(svc, "customer", FORGET)
    assert card.exit_code == 0 and "granddaughter" in card.stdout

    result = invoke(svc, "forget-customer", FORGET, "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"forget customer {FORGET} ({NAME})" in result.stderr
    assert "records: removed 1 customer, 1 promise (1 event), 1 thank-you" in result.stdout
    removed = len(own)
    assert (f"removed {removed} chunks from the vector store, {removed} from the lexical index, "
            f"{removed} from the record manager") in result.stdout
    assert "masked them in 1 decision, 1 concern, 1 delivered brief" in result.stdout
    assert "https://example.slack.com/p1" in result.stdout, "the posted brief to fix in Slack is named"
    assert str(pack / "feedback" / "survey.csv") in result.stdout, "the source file still holding their rows"

    # After: no search surfaces them — by meaning, by their own words, by keyword — and no brief.
    found = svc.retriever.search(QUESTION, k=30, **everything)
    assert all(s.customer_id != FORGET and "granddaughter" not in s.text for s in found)
    nearest = svc.store.dense_search(svc.retriever.embed_question(VERBATIM)[0], k=20)
    assert nearest and all("granddaughter" not in h.text and h.id not in own for h in nearest)
    keyword = svc.store.lexical.search("granddaughter birthday cake melting bins")
    assert not own & {cid for cid, _ in keyword}
    for brief in (svc.advisor.brief(QUESTION), svc.advisor.brief(QUESTION, customers=[FORGET])):
        assert all(s.customer_id != FORGET for s in brief.sources)
        assert "granddaughter" not in brief.text and NAME not in brief.text
    assert not any(svc.ingestor.record_manager.exists(sorted(own)))
    card = invoke(svc, "customer", FORGET)
    assert card.exit_code == 2 and "no customer matches" in card.stderr

    # The decision logs keep the decision but not them.
    decision = svc.records.slack.decisions()[0]
    assert decision.question == f"What about {FORGET_MASKED} and the chatbot?"
    assert decision.concerns == [("U0ADVOC01", f"Remember {FORGOTTEN_MASK}: “{FORGOTTEN_MASK}” We cannot do this.")]
    view = svc.records.slack.brief("b1").view
    assert view["sources"][0] == {"n": 1, "customer_id": FORGOTTEN_MASK, "text": FORGOTTEN_MASK}
    assert view["sources"][1]["text"] == OTHER, "another customer's words stay"
    assert view["sections"]["customers_said"] == f"“{FORGOTTEN_MASK}” [1]\n“{OTHER}” [2]"

    # Ingesting the same files (and importing the CRM list) again does not bring them back.
    again = svc.ingestor.ingest([pack])
    assert again.forgotten >= 3 and again.added == 0 and again.rejected == 0
    assert svc.store.by_metadata({"customer_id": FORGET}) == []
    assert svc.records.customers.import_csv(tmp_path / "customers.csv").forgotten == 1
    assert svc.records.customers.get(FORGET) is None

    # Everyone else is intact.
    assert OTHER in texts(svc.retriever.search(QUESTION, k=20, **everything))
    assert {h.text for h in svc.store.by_metadata({"customer_id": "C10003"})} == {THIRD}
    assert [p.text for p in svc.records.promises.list(customer="C10002")] == ["Send the router guide"]
    other_card = invoke(svc, "customer", "C10002")
    assert other_card.exit_code == 0 and "router settings" in other_card.stdout


FORGET_MASKED = f"{FORGOTTEN_MASK} ({FORGOTTEN_MASK})"


# -- the store part on every backend ---------------------------------------------------------------------
@pytest.fixture(params=["embedded-chroma+sqlite", "chroma-server+postgresql"])
def store_services(
    request: pytest.FixtureRequest, tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding
) -> Iterator[Services]:
    values: dict[str, object] = {"data_dir": tmp_path / "data"}
    if request.param == "embedded-chroma+sqlite":
        svc = build_services(Settings(**values), embedder=fake_embeddings)
        yield svc
        svc.close()
        return
    server = request.getfixturevalue("chroma_server")
    postgres = request.getfixturevalue("postgres_server_url")
    with fresh_postgres_schema(postgres) as url:
        values.update(chroma_url=server.url, collection=f"t-{uuid.uuid4().hex[:12]}", database_url=url)
        svc = build_services(Settings(**values), embedder=fake_embeddings)
        yield svc
        svc.close()


def test_store_part_removes_chunks_everywhere_and_reingest_skips_them(store_services: Services, tmp_path: Path) -> None:
    svc = store_services
    pack = write_pack(tmp_path)
    load_records(svc, tmp_path)
    first = svc.ingestor.ingest([pack])
    assert first.rejected == 0
    before = svc.store.count()
    own = {h.id for h in svc.store.by_metadata({"customer_id": FORGET})}
    assert len(own) >= 3
    assert own & {cid for cid, _ in svc.store.lexical.search("granddaughter cake melting")}

    forgetter = forgetter_for(svc)
    plan = forgetter.plan(FORGET)
    assert {h.id for h in plan.chunks} == own and plan.name == NAME
    assert plan.records.customers == 1 and plan.records.masked == {"decisions": 1, "concerns": 1, "slack_briefs": 1}
    report = forgetter.forget(plan, now=NOW)
    assert (report.vector_store, report.lexical_index, report.record_manager, report.remaining) == (
        len(own), len(own), len(own), 0)
    assert svc.store.count() == before - len(own)
    assert svc.store.get(sorted(own)) == {}
    assert not own & {cid for cid, _ in svc.store.lexical.search("granddaughter cake melting bins")}
    assert not any(svc.ingestor.record_manager.exists(sorted(own)))
    assert svc.records.forgotten.contains(FORGET.lower()), "the list matches the id in any case"

    again = svc.ingestor.ingest([pack])
    assert again.forgotten == len(own) and again.added == 0 and again.deleted == 0
    assert again.files[str(Path("pack/transcripts/2026-10-06-missed-visit.txt"))] == "forgotten"
    assert svc.store.count() == before - len(own)
    assert {h.text for h in svc.store.by_metadata({"customer_id": "C10002"})} == {OTHER}
    # A second run finds nothing left and changes nothing.
    assert forgetter.plan(FORGET).nothing_left


def test_a_file_that_was_all_theirs_leaves_the_store(fake_services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "feedback"
    folder.mkdir()
    (folder / "one.csv").write_text(f"customer_id,verbatim\n{FORGET},Only my words are in this file.\n")
    (folder / "two.csv").write_text("customer_id,verbatim\nC10002,Someone else entirely.\n")
    fake_services.ingestor.ingest([folder])
    with fake_services.records.session() as session:
        fake_services.records.forgotten.add(session, FORGET, now=NOW)
    # Not via forget-customer: the chunk is still stored; ingesting again removes what the list forbids.
    summary = fake_services.ingestor.ingest([folder])
    assert summary.files[str(Path("feedback/one.csv"))] == "forgotten" and summary.deleted == 1
    assert [h.text for h in fake_services.store.by_metadata({"kind": "feedback"})] == ["Someone else entirely."]


# -- the command's manners ------------------------------------------------------------------------------
@pytest.fixture
def loaded(fake_services: Services, tmp_path: Path) -> Services:
    load_records(fake_services, tmp_path)
    assert fake_services.ingestor.ingest([write_pack(tmp_path)]).rejected == 0
    return fake_services


def test_unknown_id_is_exit_2_with_a_hint(loaded: Services) -> None:
    result = invoke(loaded, "forget-customer", "C99999", "--yes")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no customer 'C99999' in the records or the knowledge base")
    by_name = invoke(loaded, "forget-customer", "Owen Pryce", "--yes")
    assert by_name.exit_code == 2 and "did you mean C10002?" in by_name.stderr
    assert loaded.records.customers.get("C10002") is not None
    with pytest.raises(UnknownCustomer):
        CustomerForgetter(records=loaded.records, store=loaded.store,
                          record_manager=loaded.ingestor.record_manager).plan("nobody")


def test_it_asks_first_and_a_no_changes_nothing(loaded: Services) -> None:
    chunks = loaded.store.count()
    own = len(loaded.store.by_metadata({"customer_id": FORGET}))
    declined = invoke(loaded, "forget-customer", FORGET, input="n\n")
    assert declined.exit_code == 1
    assert "This cannot be undone. Forget this customer?" in declined.stderr
    assert "not confirmed: nothing was changed" in declined.stderr
    no_answer = invoke(loaded, "forget-customer", FORGET, input="")
    assert no_answer.exit_code == 1 and "nothing was changed" in no_answer.stderr
    assert loaded.records.customers.get(FORGET) is not None and loaded.store.count() == chunks
    assert not loaded.records.forgotten.contains(FORGET)
    accepted = invoke(loaded, "forget-customer", FORGET.lower(), "--json", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    report = json.loads(accepted.stdout.splitlines()[-1])  # the test runner echoes the typed "y" on stdout
    assert report["customer_id"] == FORGET and report["records"]["promises"] == 1
    assert loaded.store.count() == chunks - own
    assert report["knowledge"]["remaining"] == 0 and report["knowledge"]["vector_store"] == own >= 3
    again = invoke(loaded, "forget-customer", FORGET, "--yes")
    assert again.exit_code == 0 and "was forgotten before; nothing of theirs is stored" in again.stdout


# -- masking ---------------------------------------------------------------------------------------------
def test_masking_finds_ids_names_and_quoted_runs_of_their_words() -> None:
    masker = CustomerMasker(customer_id="C00105", name="Fiona Williams",
                            verbatims=[VERBATIM, "Great service"])
    assert masker.text("ask c00105 today; C001050 is not them") == f"ask {FORGOTTEN_MASK} today; C001050 is not them"
    assert masker.text("Hello Fiona, FIONA  williams called") == f"Hello {FORGOTTEN_MASK}, {FORGOTTEN_MASK} called"
    assert masker.text("Fiona from finance approved it") == "Fiona from finance approved it", "first names alone stay"
    cut = f"Said: “{VERBATIM[:70]}…” [3]"
    assert masker.text(cut) == f"Said: “{FORGOTTEN_MASK}” [3]"
    retold = "and then my granddaughter's birthday cake melting on the side, honestly"
    assert masker.text(retold) == f"and then {FORGOTTEN_MASK}, honestly"
    assert masker.text("so the chatbot kept telling us") == "so the chatbot kept telling us", "four words are no quote"
    assert masker.text("They said “Great service” [2]") == f"They said “{FORGOTTEN_MASK}” [2]"
    assert masker.text("great service matters") == "great service matters", "short verbatims only when quoted"
    assert masker.json({"a": ["C00105:10", {"b": 3}], "C00105": True}) == {
        "a": [f"{FORGOTTEN_MASK}:10", {"b": 3}], "C00105": True}


def test_forgotten_ids_are_kept_only_as_hashes(fake_services: Services) -> None:
    forgotten = fake_services.records.forgotten
    with fake_services.records.session() as session:
        assert forgotten.add(session, " C00105 ", now=NOW)
        assert not forgotten.add(session, "c00105", now=NOW)
    assert fake_services.records.forgotten.hashes() == {forgotten_hash("C00105")}
    assert "C00105" not in forgotten_hash("C00105") and len(forgotten_hash("C00105")) == 64


def test_slack_feedback_naming_a_forgotten_customer_is_not_indexed(
    fake_services: Services, slack_api: SlackApiServer
) -> None:
    channels = FeedbackChannels(
        client=WebClient(token="xoxb-test-token", base_url=slack_api.url), ingestor=lambda: fake_services.ingestor,
        channels=frozenset({"C0FEEDBK1"}), bot_user_id="U0BOT0001", bot_id="B0BOT0001",
    )
    theirs = {"channel": "C0FEEDBK1", "user": "U0STAFF01", "ts": "1700000100.000100",
              "text": f"Customer {FORGET} says the engineer never came"}
    assert channels.handle(theirs) == "indexed"
    with fake_services.records.session() as session:
        fake_services.records.forgotten.add(session, FORGET, now=NOW)
    edited = {"channel": "C0FEEDBK1", "subtype": "message_changed",
              "message": {**theirs, "text": f"Customer {FORGET} says the engineer never came, score 2"}}
    assert channels.handle(edited) == "forgotten"
    later = {**theirs, "ts": "1700000200.000100", "text": f"customer {FORGET.lower()} called again about it"}
    assert channels.handle(later) == "forgotten"
    assert fake_services.store.by_metadata({"customer_id": FORGET}) == []
    other = {**theirs, "ts": "1700000300.000100", "text": "Customer C10002 loves the new router"}
    assert channels.handle(other) == "indexed"
    assert [h.metadata["customer_id"] for h in fake_services.store.by_metadata({"channel": "slack"})] == ["C10002"]


# -- Slack events waiting in the inbox ------------------------------------------------------------------
def delivery(event_id: str, text: str, *, channel: str = "C0FEEDBK1") -> tuple[str, str]:
    """An Events API delivery as the inbox keeps it (Slack's JSON escapes non-ASCII characters)."""
    event = {"type": "message", "channel": channel, "user": "U0STAFF01", "text": text, "ts": "1700000300.000100"}
    return event_id, json.dumps({"type": "event_callback", "event_id": event_id, "event": event})


@pytest.fixture(params=["sqlite", "postgresql"])
def inbox_services(
    request: pytest.FixtureRequest, tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding
) -> Iterator[Services]:
    """The records on SQLite or PostgreSQL (the inbox is records), the store embedded, loaded as `loaded`."""
    values: dict[str, object] = {"data_dir": tmp_path / "data"}
    with ExitStack() as stack:
        if request.param == "postgresql":
            values["database_url"] = stack.enter_context(
                fresh_postgres_schema(request.getfixturevalue("postgres_server_url")))
        svc = build_services(Settings(**values), embedder=fake_embeddings)
        stack.callback(svc.close)
        load_records(svc, tmp_path)
        assert svc.ingestor.ingest([write_pack(tmp_path)]).rejected == 0
        yield svc


def test_slack_events_waiting_in_the_inbox_that_name_or_quote_them_are_dropped(inbox_services: Services) -> None:
    loaded = inbox_services
    inbox = loaded.records.slack
    inbox.accept_events([
        delivery("EvNAMESID01", f"Customer {FORGET} says the engineer never came"),
        delivery("EvQUOTES001", "<@U0BOT0001> she said “granddaughter’s birthday cake melting on the side”"),
        delivery("EvNAMED0001", f"<@U0BOT0001> what did {NAME.upper()} tell us?", channel="C0DECIDE1"),
        delivery("EvOTHER0001", f"Customer C10002: {OTHER}"),
        ("EvDAMAGED01", f'{{"event": {{"text": "{FORGET} never'),  # cut short: read as text
    ], owner="host/boot")
    forgetter = forgetter_for(loaded)
    plan = forgetter.plan(FORGET)
    assert plan.records.inbox_events == 4
    result = invoke(loaded, "forget-customer", FORGET, "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert "Slack events waiting to be answered: drop 4 events that named or quoted them" in result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["records"]["inbox_events"] == 4
    waiting = inbox.unfinished_events(owners_like="%", stale_before=NOW)
    assert [event.event_id for event in waiting] == ["EvOTHER0001"], "another customer's event is still answered"
    # A process still working on a dropped event finishes it as before: its delete finds nothing.
    inbox.finish_event("EvNAMESID01")
