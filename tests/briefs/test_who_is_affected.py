"""Who is affected: a group is named when the closest verbatims hold more of it than the whole does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from advocate.services import Services
from briefs.advisor import CustomerFacts, Evidence
from briefs.base_rates import BaseRates, chance_of_at_least, tenure_band
from briefs.grounded_writer import Citations, Picked, Said, affected_groups
from briefs.tone import Tone
from knowledge.retrieval import Source
from records.customers import CustomerView
from tests.records.conftest import write_csv


def _picked(channels: list[str], *, base: dict[str, dict[str, float]], segments: list[str] | None = None) -> Picked:
    sources = [Source(id=f"f{n}", kind="feedback", source="feedback.csv", title=f"Feedback {n}",
                      text=f"The engineer visit number {n} was moved twice.", score=0.5, channel=channel,
                      customer_id=f"C{n:05d}", extra={"score": 3})
               for n, channel in enumerate(channels)]
    evidence = Evidence(question="Move engineer visits", decision="Move engineer visits", vector=np.zeros(3),
                        lenses=[], definition=[], culture=[], research=[], transcripts=[], complaints=sources,
                        praise=[], middle=[], unscored=[], function=None, customers=[], base_shares=base)
    if segments:
        evidence.facts = CustomerFacts(checked=True, heard_from={
            s.customer_id: CustomerView(s.customer_id, "A customer", date(2020, 1, 1), "owner", segment, None)
            for s, segment in zip(sources, segments, strict=True)})
    return Picked(evidence=evidence, feedback=[Said(0.5, s, Tone("complaint", inferred=False)) for s in sources])


def test_a_channel_as_common_among_the_closest_verbatims_as_overall_names_nobody() -> None:
    # 3 of 8 came by survey, and so does a third of all feedback: chance gives that half the time.
    picked = _picked(["survey"] * 3 + ["email"] * 3 + ["phone"] * 2,
                     base={"channel": {"survey": 0.33, "email": 0.30, "phone": 0.37}})
    assert affected_groups(picked, Citations()) == []


def test_an_over_represented_channel_is_named_with_its_share_of_the_whole() -> None:
    picked = _picked(["chat"] * 3 + ["survey"] * 5, base={"channel": {"chat": 0.04, "survey": 0.33}})
    lines = affected_groups(picked, Citations())
    assert lines and lines[0].startswith("Customers who use chat: 3 of the 8 most relevant verbatims (against 4% of "
                                         "all feedback), 3 complaints ⟦f0⟧⟦f1⟧⟦f2⟧")
    assert not any("survey" in line for line in lines)  # 5 of 8 against a third: more than 1 time in 10 by chance


def test_segments_are_measured_against_the_customer_base() -> None:
    picked = _picked(["email"] * 8, base={"channel": {"email": 0.2}, "segment": {"household": 0.85,
                                                                                 "small-business": 0.15}},
                     segments=["small-business"] * 4 + ["household"] * 4)
    lines = affected_groups(picked, Citations())
    # All 8 emailed (against 1 in 5 overall), but a group that holds everyone found singles nobody out.
    assert lines == ["Customers in the small-business segment: 4 of the 8 most relevant verbatims (against 15% of "
                     "our customers), 4 complaints ⟦f0⟧⟦f1⟧⟦f2⟧⟦f3⟧"]
    # The section cites every member it counts; the bottom line, read in a minute, three.
    assert affected_groups(picked, Citations(), refs=3)[0].endswith("4 complaints ⟦f0⟧⟦f1⟧⟦f2⟧")


def test_chance_of_at_least() -> None:
    assert chance_of_at_least(0, 8, 0.3) == pytest.approx(1.0)
    assert chance_of_at_least(8, 8, 0.5) == pytest.approx(1 / 256)
    assert chance_of_at_least(3, 8, 0.33) == pytest.approx(0.52, abs=0.01)
    assert tenure_band(date(2000, 1, 1), date(2026, 1, 1)) == "10 years or more"
    assert tenure_band(None) == ""


def test_base_rates_count_the_knowledge_base_and_the_records(fake_services: Services, tmp_path: Path) -> None:
    write_csv(tmp_path / "feedback.csv", ["id", "date", "channel", "customer_id", "score", "verbatim"], [
        [f"F{n}", "2026-11-01", channel, f"C{n:05d}", 3, f"Words number {n} about the engineer visit."]
        for n, channel in enumerate(["Phone", "phone", "email", "chat"])])
    assert fake_services.ingestor.ingest([tmp_path / "feedback.csv"]).rejected == 0
    write_csv(tmp_path / "customers.csv", ["id", "name", "customer_since", "owner", "segment"], [
        ["C00001", "Ann Lee", "2024-06-01", "sam.lee", "household"],
        ["C00002", "Lee & Co Ltd", "2010-06-01", "sam.lee", "Small-Business"]])
    assert not fake_services.records.customers.import_csv(tmp_path / "customers.csv").problems
    rates = BaseRates(store=fake_services.store, customers=fake_services.records.customers)
    shares = rates.shares({"phone", "email"})
    assert shares["channel"] == {"phone": 0.5, "email": 0.25}  # "Phone" and "phone": ingest stores one channel
    assert shares["segment"] == {"household": 0.5, "small-business": 0.5}
    assert set(shares["tenure"]) == {"1–4 years", "10 years or more"}
    # Counted once, then kept: a fifth verbatim shows only after FRESH_S.
    write_csv(tmp_path / "more.csv", ["id", "date", "channel", "customer_id", "score", "verbatim"],
              [["F9", "2026-11-02", "phone", "C00009", 2, "Another phone complaint about the visit."]])
    fake_services.ingestor.ingest([tmp_path / "more.csv"])
    assert rates.shares({"phone"})["channel"] == {"phone": 0.5}
    assert BaseRates(store=fake_services.store, customers=None).shares({"phone"}) == {"channel": {"phone": 0.6}}


def test_a_segment_the_decision_names_comes_first_whether_or_not_it_stands_out() -> None:
    picked = _picked(["email"] * 8, base={"channel": {"email": 0.2}, "segment": {"household": 0.84,
                                                                                 "small-business": 0.16}},
                     segments=["small-business"] + ["household"] * 7)
    picked.evidence.decision = "Start the two-hour windows with small-business repairs, households later"
    lines = affected_groups(picked, Citations())
    assert lines == [
        "Customers in the small-business segment (named in the decision): 1 of the 8 most relevant verbatims "
        "(against 16% of our customers), 1 complaint ⟦f0⟧",
        "Customers in the household segment (named in the decision): 7 of the 8 most relevant verbatims "
        "(against 84% of our customers), 7 complaints ⟦f1⟧⟦f2⟧⟦f3⟧⟦f4⟧⟦f5⟧⟦f6⟧⟦f7⟧"]


def test_a_channel_the_decision_names_with_no_verbatim_says_none_and_stays_off_the_bottom_line() -> None:
    picked = _picked(["survey"] * 3 + ["email"] * 5, base={"channel": {"survey": 0.3, "email": 0.6, "chat": 0.04}})
    picked.evidence.decision = "Close the chat window at weekends"
    assert affected_groups(picked, Citations()) == [
        "Customers who use chat (named in the decision): none of the 8 most relevant verbatims "
        "(against 4% of all feedback)"]
    assert affected_groups(picked, Citations(), with_none=False) == []


def test_a_channel_name_that_is_also_a_verb_or_a_topic_does_not_name_a_group() -> None:
    picked = _picked(["call"] * 2 + ["phone"] * 6, base={"channel": {"call": 0.5, "phone": 0.5}})
    for decision in ("Stop calling customers back after a missed call", "Should managers stop phoning customers?"):
        picked.evidence.decision = decision
        assert affected_groups(picked, Citations()) == [], decision
    picked = _picked(["survey"] * 2 + ["email"] * 6, base={"channel": {"survey": 0.5, "email": 0.5}})
    picked.evidence.decision = "Email an upgrade offer to everyone our customer survey says is unhappy"
    assert affected_groups(picked, Citations()) == []


def test_a_channel_that_stands_out_only_by_count_is_named_in_the_section_not_the_bottom_line() -> None:
    from briefs.grounded_writer import bottom_line

    picked = _picked(["chat"] * 3 + ["survey"] * 5, base={"channel": {"chat": 0.04, "survey": 0.33}})
    assert affected_groups(picked, Citations())[0].startswith("Customers who use chat: 3 of the 8")
    assert affected_groups(picked, Citations(), channels_by_count=False) == []
    assert "Who:" not in bottom_line(picked, Citations())
    # A channel the decision names still leads.
    picked.evidence.decision = "Close the chat window at weekends"
    assert "Who: Customers who use chat (named in the decision): 3 of the 8" in bottom_line(picked, Citations())


def test_where_a_group_could_stand_out_but_none_does_the_groupings_measured_are_named() -> None:
    from briefs.grounded_writer import affected_section

    lines = affected_section(_picked(["email"] * 8, base={"channel": {"email": 0.9}}), Citations())
    assert lines == ("• No channel, customer segment or tenure band stands out among the 8 most relevant verbatims; "
                     "who they are is in their own words below.")
    # All feedback came by email and no customer is on record: nothing could ever stand out, and the line says so.
    lines = affected_section(_picked(["email"] * 8, base={"channel": {"email": 1.0}}), Citations())
    assert lines.startswith("• Nothing recorded with these verbatims tells their customers apart")
    # A customer on record has a segment and a tenure: those could single a group out.
    picked = _picked(["email"] * 8, base={"channel": {"email": 1.0}, "segment": {"household": 1.0}},
                     segments=["household"] * 8)
    assert not affected_section(picked, Citations()).startswith("• Nothing recorded")


def test_a_channel_that_is_the_means_of_a_conversation_names_no_customers() -> None:
    picked = _picked(["phone"] * 2 + ["email"] * 6, base={"channel": {"phone": 0.25, "email": 0.75}})
    picked.evidence.decision = "Let the retention team make the thank-you calls and mention upgrades on the phone"
    assert not any("named in the decision" in line for line in affected_groups(picked, Citations()))
    picked.evidence.decision = "Close the phone line on Sundays"
    assert affected_groups(picked, Citations())[0].startswith("Customers who phone us (named in the decision): 2 of")


def test_a_named_channel_that_also_stands_out_is_listed_once() -> None:
    picked = _picked(["phone"] * 4 + ["email"] * 4, base={"channel": {"phone": 0.1, "email": 0.9}})
    picked.evidence.decision = "Close the phone line on Sundays"
    lines = affected_groups(picked, Citations())
    assert [line.split(":")[0] for line in lines] == ["Customers who phone us (named in the decision)"]


def test_a_group_stands_out_only_where_chance_gives_as_many_less_than_one_time_in_twenty() -> None:
    # 2 of 3 from a segment that is 16% of customers: chance gives that about 7 times in 100.
    picked = _picked(["email"] * 3, base={"segment": {"small-business": 0.16, "household": 0.84}},
                     segments=["small-business", "small-business", "household"])
    assert not any("small-business" in line for line in affected_groups(picked, Citations()))
    # 5 of 8 from it: about 2 times in 1,000.
    picked = _picked(["email"] * 8, base={"segment": {"small-business": 0.16, "household": 0.84}},
                     segments=["small-business"] * 5 + ["household"] * 3)
    assert affected_groups(picked, Citations())[0].startswith(
        "Customers in the small-business segment: 5 of the 8 most relevant verbatims")


def _with_words(texts: list[str], decision: str) -> Picked:
    picked = _picked(["complaint"] * len(texts), base={"channel": {"complaint": 1.0}})
    for said, words in zip(picked.feedback, texts, strict=True):
        said.source.text = words
    picked.evidence.decision = decision
    return picked


def test_what_customers_say_of_themselves_is_counted_in_the_section_never_the_bottom_line() -> None:
    from briefs.grounded_writer import affected_section, bottom_line

    texts = ["We only stream Netflix and the 300GB cap runs out by the 20th.",
             "My kids do their homework online and we still hit the cap.",
             "I work from home and the overage fees doubled my bill.",
             "We use Hulu and Netflix instead of cable, and now we pay for data.",
             "The cap is a cash grab.", "Billed $30 in overage without warning.",
             "Streaming on two TVs is all we do.", "They ignored my complaint about the meter."]
    picked = _with_words(texts, "Roll the 300GB data cap out to every market")
    section = affected_section(picked, Citations())
    assert section.startswith("• Customers who stream video (Netflix and the like), in their own words: 3 of the 8 "
                              "most relevant verbatims, 3 complaints ⟦f0⟧⟦f3⟧⟦f6⟧")
    # One verbatim saying it ("my kids") is no group; nor one the decision names (its verbatims were found by it).
    assert "children" not in section and "work from home" not in section
    assert "Who:" not in bottom_line(picked, Citations())
    # Only verbatims clearly about the decision count: data-cap complaints found for a sponsorship named nobody.
    from briefs.grounded_writer import CLOSE_VERBATIM

    picked.feedback[6].score = CLOSE_VERBATIM - 0.01
    assert affected_section(picked, Citations()).startswith(
        "• Customers who stream video (Netflix and the like), in their own words: 2 of the 8")
    picked.feedback[3].score = CLOSE_VERBATIM - 0.01
    assert "stream video" not in affected_section(picked, Citations())
    picked.feedback[3].score = picked.feedback[6].score = 0.5
    picked.evidence.decision = "Throttle streaming video in the evening"
    assert "stream video" not in affected_section(picked, Citations())


def test_customers_the_decision_names_in_its_own_words_are_named_even_with_no_feedback() -> None:
    from briefs.grounded_writer import affected_section

    picked = _with_words([], "Shorten invoice payment terms for our business clients from 30 days to 14")
    picked.evidence.complaints = []
    assert affected_section(picked, Citations()) == (
        "• Named in the decision: business clients. No customer feedback is held, so how this affects them is not "
        "known from our evidence.")
    picked = _with_words(["The engineer never came and I lost a day's pay."] * 2,
                         "Ship self-install kits to new customers by default")
    assert affected_section(picked, Citations()).startswith(
        "• Named in the decision: new customers. Our records do not mark who they are")
    # Those who rely on what the decision withdraws are named too.
    picked.evidence.decision = "Ops wants to stop offering Saturday morning engineer slots to cut overtime"
    assert affected_section(picked, Citations()).startswith(
        "• Named in the decision: customers who rely on Saturday morning engineer slots. Our records")
    # Three at most: a long thread can name many.
    picked.evidence.decision = "Email new customers, business clients, rural customers and departing customers"
    assert affected_section(picked, Citations()).startswith(
        "• Named in the decision: new customers; business clients; rural customers. Our records")


@pytest.mark.parametrize(("decision", "named"), [
    ("Email everyone on the premium tier who barely uses it about the cheaper plan",
     ["everyone on the premium tier who barely uses it"]),
    ("Move long-standing internet customers onto the 300 GB allowance", ["long-standing internet customers"]),
    ("Internet-and-TV customers who drop TV move to the standalone rate; what will cord-cutters make of it?",
     ["Internet-and-TV customers who drop TV", "cord-cutters"]),
    ("Finance proposes an admin fee for customers who pay by cheque.", ["customers who pay by cheque"]),
    ("New gateways ship without a battery; customers who want 911 calling during a power cut can buy one",
     ["customers who want 911 calling"]),
    # A bare "customers", or a word before it that is a verb or names no one, names nobody in particular.
    ("How does closing the line affect customers?", []),
    ("Our survey says customers would pay more", []),
    ("Stop warm-transferring upset customers to a team leader", ["upset customers"]),
    # A product alone names everyone a broadband company serves; beside another word it narrows them.
    ("Launch a SIM-only mobile add-on for broadband customers", []),
    ("We want to close the phone line on Sundays and point callers to chat.", []),
    # One customer, described, names a group too; alone, nobody.
    ("£50 for the friend who joins, nothing for the existing customer who referred them",
     ["existing customer who referred them"]),
    ("Tell the customer about it first", []),
])
def test_groups_named_in_a_decision(decision: str, named: list[str]) -> None:
    from briefs.mentions import groups_named_in

    assert groups_named_in(decision) == named


def test_self_descriptions() -> None:
    from briefs.mentions import self_descriptions

    assert self_descriptions("I am 84 and I don't have a computer.") == [
        "are older or retired, or speak for someone who is"]
    assert self_descriptions("I have been a loyal customer for 12 years.") == [
        "say they have been customers for years"]
    assert self_descriptions("Comcast has a monopoly here; I play Xbox Live.") == [
        "play games online", "have no other provider to turn to"]
    assert self_descriptions("They moved me to a cheaper plan.") == []  # moved, but not home
    for words in ("I took another day off work because the tech said", "I'd already taken the day off.",
                  "The £30 credit is fine but I lost a day's pay.", "We cannot keep taking days off of work"):
        assert self_descriptions(words) == ["take time off work to wait for us"], words
    assert self_descriptions("I took the router off the shelf.") == []


def test_verbatims_none_of_which_is_clearly_about_the_decision_single_no_group_out() -> None:
    from briefs.grounded_writer import CLOSE_VERBATIM, affected_section

    picked = _picked(["chat"] * 3 + ["survey"] * 5, base={"channel": {"chat": 0.04, "survey": 0.33}})
    assert affected_groups(picked, Citations())  # chat stands out among verbatims about the decision
    for said in picked.feedback:
        said.score = CLOSE_VERBATIM - 0.05
    assert affected_groups(picked, Citations()) == []
    assert affected_section(picked, Citations()).startswith(
        "• None of the verbatims found is clearly about this decision, so they cannot show who it affects")
    # A channel the decision names is still listed, with its share of all feedback.
    picked.evidence.decision = "Close the chat window at weekends"
    assert affected_groups(picked, Citations())[0].startswith("Customers who use chat (named in the decision)")


@pytest.mark.parametrize(("decision", "withdrawn"), [
    ("Ops wants to stop offering Saturday morning engineer slots to cut overtime", ["Saturday morning engineer slots"]),
    ("IT wants to retire the old customer webmail and migrate everyone's mailboxes", ["the old customer webmail"]),
    ("Ops is proposing we shut most of the phone support and push everyone to the portal", ["the phone support"]),
    ("Drop the callback request form entirely and route everything through chat", ["the callback request form"]),
    ("Product is thinking of cutting the standard warranty on our devices", ["the standard warranty"]),
    # The organisation's own inputs, people, nouns that only look like verbs, and what is not withdrawn.
    ("Finance wants to cut the CX team's budget by a third", []),
    ("Ops wants to cut about 20% of field techs", []),
    ("We want to stop letting customers pause their contract when they go abroad", []),
    ("Should technicians stop calling ahead when running late?", []),
    ("Our on-time rate has slipped. No single drop looked alarming.", []),
    ("Customers who want 911 calling during a power cut can buy one", []),
    ("Advisers must end every call within eight minutes", []),
    ("Field ops wants to cut weekend and overtime repair shifts", []),
    ("Ops idea: switch the kit boxes to recycled cardboard and drop the plastic trays", []),
])
def test_what_the_decision_withdraws(decision: str, withdrawn: list[str]) -> None:
    from briefs.mentions import what_the_decision_withdraws

    assert what_the_decision_withdraws(decision) == withdrawn


def test_the_closest_praise_is_kept_in_only_where_it_is_clearly_about_the_decision() -> None:
    picked = _picked(["phone"] * 4, base={})
    # Three complaints and a neutral verbatim closer than any praise: the fourth place is the praise's only when
    # the praise is clearly about the decision, else the closer neutral keeps it.
    for said, score in zip(picked.feedback, (0.6, 0.55, 0.5, 0.45), strict=True):
        said.score = score
    picked.feedback[3].tone = Tone("neutral", inferred=False)
    praise = Source(id="p", kind="feedback", source="feedback.csv", title="Feedback p",
                    text="The engineer was there at nine sharp.", score=0.3, channel="phone", extra={"score": 10})
    for closeness, heard in ((0.30, False), (0.42, True)):
        feedback = [*picked.feedback[:4], Said(closeness, praise, Tone("praise", inferred=False))]
        shown = Picked(evidence=picked.evidence, feedback=feedback).shown_feedback()
        assert len(shown) == 4
        assert (praise in [s.source for s in shown]) is heard, closeness


@pytest.mark.parametrize(("decision", "left_out"), [
    ("Marketing wants to rerun the 'Fibre 150 for £25, new customers only' campaign", True),
    ("A spring price cut only for new sign-ups", True),
    ("A referral credit for newcomers only", True),
    ("Give new customers a welcome call", False),
    ("Only existing customers get the loyalty discount", False),
])
def test_a_newcomers_only_offer_names_the_customers_it_leaves_out(decision: str, left_out: bool) -> None:
    from briefs.grounded_writer import affected_section
    from briefs.mentions import left_out_by

    assert bool(left_out_by(decision)) is left_out
    picked = _picked(["phone"], base={})
    picked.evidence.decision = decision
    section = affected_section(picked, Citations())
    assert ("Left out by it: existing customers, who see an offer for new customers only" in section) is left_out
