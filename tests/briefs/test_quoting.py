"""What the brief quotes from documents and transcripts besides verbatims: whose words, with what label,
and with the finding a set-up sentence leads to."""

import pytest

from briefs.grounded_writer import Quote, _list_label, _with_its_finding, quotable_sentences, states_a_risk
from knowledge.retrieval import Source


def test_of_a_transcript_only_what_the_customer_said_is_quotable() -> None:
    text = ("Call transcript: technician did not arrive\n"
            "Staff: Joanne Price, scheduling team\n"
            "JOANNE: No. I'll text you the scheduling team's direct line, 01632 960275.\n"
            "CUSTOMER: That would help. Last time I was twenty minutes in the menu before I got anyone.\n"
            "And then they cut me off when I finally got through to the right team.\n"
            "OWEN: I'm sorry about that too, I'll note it on your account today.\n"
            "CUSTOMER: We will see if anyone remembers this time. [Promise logged by owen: call back Friday]\n"
            "[Credit of £30 applied automatically to the customer's account.]")
    transcript = Source(id="t", kind="transcript", source="", title="", text=text, score=0.0)
    assert quotable_sentences(transcript) == [
        "Last time I was twenty minutes in the menu before I got anyone.",
        "And then they cut me off when I finally got through to the right team.",
        "We will see if anyone remembers this time."]


def test_a_transcript_whose_customer_cannot_be_told_is_quoted_line_by_line() -> None:
    text = ("A: We will call you back within the hour today.\nB: Nobody has called me back in three weeks now.\n"
            "[Promise logged by sam.lee: \"Call back by 4pm Thursday with the refund date\". Credit applied.]")
    transcript = Source(id="t", kind="transcript", source="", title="", text=text, score=0.0)
    # The labels stay, so whose words they are shows; the record-keeper's note is nobody's words.
    assert quotable_sentences(transcript) == ["A: We will call you back within the hour today.",
                                              "B: Nobody has called me back in three weeks now."]


def test_a_list_item_is_quoted_with_the_short_label_it_sits_under() -> None:
    text = ("One complaint is usually a hundred customers' problem.\n\nOn-culture:\n\n"
            "- Advisers suggesting fixes to the phone menu based on where callers get lost.\n\n"
            "Off-culture:\n\n- Asking a customer to \"give me a 10 on the survey, it really helps me\".\n\n"
            "What this means for the next price decision:\n\n- Watch the quiet customers we lose.")
    culture = Source(id="c", kind="culture", source="", title="", text=text, score=0.0)
    assert _list_label(culture, "Asking a customer to \"give me a 10 on the survey, it really helps me\".") == (
        "Off-culture")
    practice = "Advisers suggesting fixes to the phone menu based on where callers get lost."
    assert _list_label(culture, practice) == "On-culture" and states_a_risk(practice)
    # A lead-in that is a sentence is not a label; a sentence that is no list item has none.
    assert _list_label(culture, "Watch the quiet customers we lose.") == ""
    assert _list_label(culture, "One complaint is usually a hundred customers' problem.") == ""


def test_a_sentence_that_sets_up_a_study_is_quoted_with_the_finding_after_it() -> None:
    text = ("For 400 customers chosen at random, an adviser phoned before the letter arrived. "
            "2.9% of this group left in the ninety days, against 5.8% of customers who only received the letter. "
            "About one in five moved to a cheaper plan.")
    research = Source(id="r", kind="research", source="", title="", text=text, score=0.0)
    setup = "For 400 customers chosen at random, an adviser phoned before the letter arrived."
    finding = "2.9% of this group left in the ninety days, against 5.8% of customers who only received the letter."
    assert _with_its_finding(Quote(0.6, research, setup)) == f"{setup} {finding}"
    # A sentence that reports a figure itself stands alone, and so does one followed by no figure.
    assert _with_its_finding(Quote(0.6, research, finding)) == finding
    plain = Source(id="p", kind="research", source="", title="",
                   text="We phoned all of them before the letter. They liked it.", score=0.0)
    assert _with_its_finding(Quote(0.6, plain, "We phoned all of them before the letter.")) == (
        "We phoned all of them before the letter.")
    # A change in figures is a finding too.
    bonus = Source(id="b", kind="research", source="", title="",
                   text="Since July advisers have had a bonus tied to their score. Over six months the average "
                        "score rose from 7.6 to 8.2. Complaints did not fall.", score=0.0)
    assert _with_its_finding(Quote(0.6, bonus, "Since July advisers have had a bonus tied to their score.")) == (
        "Since July advisers have had a bonus tied to their score. Over six months the average score rose from 7.6 "
        "to 8.2.")


def test_a_quote_carrying_its_finding_is_judged_by_the_sentence_that_was_chosen() -> None:
    from briefs.evaluation import EvidenceLabels, SentenceLabel

    labels = EvidenceLabels(by_line={3: {"We phoned 400 customers first.": SentenceLabel(True, "finding")}})
    assert labels.find(3, "We phoned 400 customers first. 2.9% of them left, against 5.8%.") == SentenceLabel(
        True, "finding")
    assert labels.find(3, "Nobody was phoned. 2.9% of them left.") is None


def _complaints_inbox_pick(texts: list[str]):  # type: ignore[no-untyped-def]
    """What a brief has picked from a knowledge base where every verbatim came in as a complaint."""
    import numpy as np

    from briefs.advisor import Evidence
    from briefs.grounded_writer import Picked, Said
    from briefs.tone import Tone

    sources = [Source(id=f"f{n}", kind="feedback", source="inbox.csv", title=f"Feedback {n}", text=text,
                      score=0.5, channel="complaint", customer_id=f"R{n}") for n, text in enumerate(texts)]
    evidence = Evidence(question="Halve refunds for short outages?", decision="Halve refunds for short outages",
                        vector=np.zeros(3), lenses=[], definition=[], culture=[], research=[], transcripts=[],
                        complaints=[], praise=[], middle=[], unscored=sources, function=None, customers=[])
    return Picked(evidence=evidence, feedback=[Said(0.5, s, Tone("complaint", inferred=True)) for s in sources])


def test_in_a_complaints_inbox_the_share_of_complaints_is_not_offered_as_a_risk_or_a_group() -> None:
    from briefs.grounded_writer import Citations, affected_section, bottom_line, research_section, risks_section

    picked = _complaints_inbox_pick([f"The service dropped for the {n}th time this month and nobody credited me."
                                     for n in range(8)])
    cite = Citations()
    assert picked.only_complaints
    assert "Main risk" not in bottom_line(picked, cite) and "filed a complaint" not in bottom_line(picked, cite)
    # One channel, no customer on record: nothing could single a group out, and the line says why.
    assert affected_section(picked, cite) == (
        "• Nothing recorded with these verbatims tells their customers apart: all came by one channel, and no "
        "segment or tenure is on record for their customers; who they are is in their own words below.")
    # No research was found because the knowledge base holds none: "none bears on this" would imply some was read.
    assert research_section(picked, cite) == "The knowledge base holds no research to weigh this against."
    # One line, not a count and an example that would read the same under any decision.
    assert risks_section(picked, cite) == (
        "No passage found states a risk of this decision directly; the complaints quoted above show what customers "
        "already go through on this subject, which the decision may add to or ease.")
    # One verbatim read otherwise, and the count says something again in the full brief; never as the main risk,
    # which only a sentence stating a harm can be (the decision may be the fix for those complaints).
    from briefs.tone import Tone

    picked.feedback[5].tone = Tone("neutral", inferred=True)
    assert not picked.only_complaints
    assert "Main risk" not in bottom_line(picked, cite)
    assert risks_section(picked, cite).startswith("• Today: 7 of the 8 most relevant verbatims are complaints")
    # Unless the closest complaint is not clearly about the decision: then the count is of other subjects.
    from briefs.grounded_writer import CLOSE_VERBATIM

    picked.feedback[0].score = CLOSE_VERBATIM - 0.01
    assert not risks_section(picked, cite).startswith("• Today")
    # And in a complaints inbox where none shown is clearly about the decision, they are not said to show it.
    picked.feedback[5].tone = Tone("complaint", inferred=True)
    for said in picked.feedback:
        said.score = CLOSE_VERBATIM - 0.01
    assert risks_section(picked, cite) == ("No passage found states a risk of this decision directly, and none of "
                                           "the complaints found is clearly about it.")


def test_where_no_passage_states_a_risk_the_first_lens_offers_one_to_check() -> None:
    from briefs.grounded_writer import Citations, Quote, risks_section
    from briefs.lenses import Lens, LensMatch

    picked = _complaints_inbox_pick([f"The service dropped for the {n}th time this month and nobody credited me."
                                     for n in range(8)])
    cite = Citations()
    before = risks_section(picked, cite)
    lens = Lens(id="giving_vs_taking", title="Giving value or taking it", description="Asks who comes out ahead.",
                questions=("What does the customer get?",), signals=("fee",),
                risk="Customers come out behind, with nothing in return.")
    picked.evidence.lenses = [LensMatch(lens, 0.5, 0.5, ["fee"])]
    assert risks_section(picked, cite) == (before + "\n• To check (lens: Giving value or taking it): Customers come "
                                           "out behind, with nothing in return.")
    # A lens matched by meaning alone offers its risk too.
    picked.evidence.lenses = [LensMatch(lens, 0.5, 0.5, [])]
    assert risks_section(picked, cite).endswith("with nothing in return.")
    # A library without risks reads as before; and a risk a passage states is the risk, with nothing to check.
    picked.evidence.lenses = [LensMatch(Lens(**{**lens.__dict__, "risk": ""}), 0.5, 0.5, ["fee"])]
    assert risks_section(picked, cite) == before
    picked.evidence.lenses = [LensMatch(lens, 0.5, 0.5, ["fee"])]
    stated = picked.feedback[0].source
    picked.risks = [Quote(0.6, stated, "Customers will leave if refunds stop.")]
    assert "To check" not in risks_section(picked, cite)


def test_the_bottom_line_offers_the_lens_risk_to_check_where_there_is_room() -> None:
    from briefs.grounded_writer import Citations, Quote, bottom_line
    from briefs.lenses import Lens, LensMatch

    picked = _complaints_inbox_pick([f"The service dropped for the {n}th time this month and nobody credited me."
                                     for n in range(8)])
    assert "risk" not in bottom_line(picked, Citations()).lower()
    lens = Lens(id="giving_vs_taking", title="Giving value or taking it", description="Asks who comes out ahead.",
                questions=("What does the customer get?",), signals=("fee",),
                risk="Customers come out behind, with nothing in return.")
    picked.evidence.lenses = [LensMatch(lens, 0.5, 0.5, [])]
    lines = bottom_line(picked, Citations()).splitlines()
    assert lines[-1] == ("• Risk to check (lens: Giving value or taking it): Customers come out behind, with "
                         "nothing in return.")
    # A risk a passage states is the main risk instead.
    picked.risks = [Quote(0.6, picked.feedback[0].source, "Customers will leave if refunds stop.")]
    assert "Risk to check" not in bottom_line(picked, Citations())


def test_the_bottom_line_quote_runs_to_the_end_of_the_sentence_that_carries_its_point() -> None:
    from briefs.grounded_writer import BOTTOM_QUOTE_STRETCH, Said, _said_briefly
    from briefs.tone import Tone

    text = ("I moved out in March and returned the router the same week. The letter that came with my last bill said "
            "my account would not go to a collection agency unless the final bill stayed unpaid for thirty days "
            "after it arrived. Two weeks later an agency phoned me about it and my credit score dropped.")
    rule = text.split(". ")[1] + "."
    said = Said(0.5, Source(id="f1", kind="feedback", source="inbox.csv", title="Feedback 1", text=text, score=0.5),
                Tone("complaint", inferred=True), best_sentence=rule)
    # Cut within 18 words (and four more) the condition is gone: the account "would not go" to collections.
    assert _said_briefly(said).endswith("would not go to a collection agency”…")
    stretched = _said_briefly(said, stretch=BOTTOM_QUOTE_STRETCH)
    assert stretched == f"…“{rule}”…"
    # No sentence end within reach: cut as before, never mid-word.
    endless = Said(0.5, Source(id="f2", kind="feedback", source="inbox.csv", title="Feedback 2",
                               text=" ".join(["the modem keeps dropping"] * 20), score=0.5),
                   Tone("complaint", inferred=True))
    assert _said_briefly(endless, stretch=BOTTOM_QUOTE_STRETCH) == _said_briefly(endless)


def test_open_promises_are_those_to_customers_the_brief_names_or_lists() -> None:
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from briefs.advisor import CustomerFacts
    from briefs.grounded_writer import promises_section

    picked = _complaints_inbox_pick([f"The line dropped again on day {n} and nobody rang back." for n in range(3)])

    def promise(pid: str, customer: str) -> SimpleNamespace:
        return SimpleNamespace(id=pid, customer_id=customer, text="Ring back about the line", owner="sam.lee",
                               due_at=datetime.now(UTC) + timedelta(days=1), due_tz="UTC")

    # R1 wrote one of the verbatims listed; R99's words were found but are not among them.
    picked.evidence.facts = CustomerFacts(open_promises=[promise("P1", "R1"), promise("P2", "R99")], checked=True,
                                          promises_recorded=True)
    section = promises_section(picked)
    assert "P1 to R1" in section and "P2" not in section
    picked.evidence.facts.open_promises = [promise("P2", "R99")]
    assert promises_section(picked) == "• No open promise to the customers named or quoted here."
    picked.evidence.customers = ["R99"]  # named in the question
    assert "P2 to R99" in promises_section(picked)


def test_a_table_is_not_quoted_nor_run_into_the_sentences_around_it() -> None:
    text = ("In 2025, of all customers who scored us after a contact:\n\n| band | share |\n|---|---|\n"
            "| 0 to 5 | 21% |\n| 6 to 8 | 53% |\n\n"
            "Most of our attention goes to the 0 to 5 group, through complaints.\n"
            "The 6 to 8 group rarely gets discussed\n\nbecause nothing went wrong for them, or so we assumed.")
    research = Source(id="r", kind="research", source="", title="Listening", text=text, score=0.0)
    # The lead-in ends with a colon (never quoted); a sentence broken by a blank line (as PDF text is) is whole.
    assert quotable_sentences(research) == [
        "Most of our attention goes to the 0 to 5 group, through complaints.",
        "The 6 to 8 group rarely gets discussed because nothing went wrong for them, or so we assumed."]


def test_a_condition_that_sets_up_what_to_do_is_no_risk() -> None:
    assert not states_a_risk("If a visit is at risk, the scheduler contacts the customer before the window starts.")
    assert states_a_risk("Customers whose visit is missed twice are at risk of leaving within the year.")


def test_verbatims_not_clearly_about_the_decision_are_offered_as_the_closest_found() -> None:
    from briefs.grounded_writer import CLOSE_VERBATIM, Citations, bottom_line, customers_section

    picked = _complaints_inbox_pick(["The engineer never came and I lost a day's pay waiting in for him.",
                                     "Nobody told me the price was going up until the bill arrived."])
    cite = Citations()
    assert bottom_line(picked, cite).startswith("• Customers say: “The engineer never came")
    assert customers_section(picked, cite).startswith("• “The engineer never came")
    # Shown first but less close than the bar: a coin toss whether it bears on the decision, and said so.
    for said in picked.feedback:
        said.score = CLOSE_VERBATIM - 0.05
    assert bottom_line(picked, cite).startswith("• Closest customer words found, may not bear on it: “The engineer")
    assert customers_section(picked, cite).startswith(
        "None of the verbatims found is clearly about this decision; the closest, which may not bear on it:\n• “")
    # One shown verbatim close enough, and the section quotes them as before; the bottom line quotes that one.
    picked.feedback[1].score = CLOSE_VERBATIM
    assert customers_section(picked, cite).startswith("• “The engineer never came")
    assert bottom_line(picked, cite).startswith("• Customers say: “Nobody told me the price was going up")


def test_research_close_enough_to_quote_joins_the_bottom_line_where_there_is_room() -> None:
    from briefs.grounded_writer import Citations, bottom_line

    picked = _complaints_inbox_pick(["The engineer never came and I lost a day's pay waiting in for him."])
    pilot = Source(id="r1", kind="research", source="pilot.md", title="Two-hour windows pilot", text="", score=0.5)
    picked.research = [Quote(0.6, pilot, "Missed appointments fell by a third once windows were two hours long.")]
    lines = bottom_line(picked, Citations()).splitlines()
    assert lines[0].startswith("• Customers say: “The engineer never came")
    assert lines[1] == "• Research says: “Missed appointments fell by a third once windows were two hours long.” ⟦r1⟧"
    # Like the other quotes it runs to its sentence end: cut at a clause, the set-up had read as nothing.
    longer = ("Before the June update, when the chatbot handed a chat to a person, the adviser had to ask the "
              "customer everything again, and a third of those customers gave up.")
    picked.research = [Quote(0.6, pilot, longer)]
    assert bottom_line(picked, Citations()).splitlines()[1] == f"• Research says: “{longer}” ⟦r1⟧"
    picked.research = [Quote(0.6, pilot, "Missed appointments fell by a third once windows were two hours long.")]
    # It comes after the main risk, and three bullets are the most: with a "who" as well there is no room.
    picked.risks = [Quote(0.6, pilot, "Customers lose a day's pay when we miss a window.")]
    lines = bottom_line(picked, Citations()).splitlines()
    assert [line.split(":")[0] for line in lines] == ["• Customers say", "• Main risk", "• Research says"]
    picked.evidence.customers = ["C00001"]
    lines = bottom_line(picked, Citations()).splitlines()
    assert [line.split(":")[0] for line in lines] == ["• Who", "• Customers say", "• Main risk"]


def test_the_main_risk_runs_to_the_end_of_its_sentence_unless_the_bottom_line_would_run_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from briefs import grounded_writer
    from briefs.grounded_writer import Citations, bottom_line

    picked = _complaints_inbox_pick(["The engineer never came."])
    study = Source(id="r1", kind="research", source="windows.md", title="Missed visits", text="", score=0.5)
    risk = ("When we then fail to turn up, customers do not see a scheduling problem; they see a company that "
            "wasted their day and did not think to tell them.")
    picked.risks = [Quote(0.6, study, risk)]
    assert f"• Main risk: “{risk}” ⟦r1⟧" in bottom_line(picked, Citations()).splitlines()
    # A long customer quote as well: it is cut within its sentence first, and the bottom line stays in 80 words.
    picked.feedback[0].source.text = ("The engineer never came and nobody rang to say so, " * 6).rstrip(", ") + "."
    lines = bottom_line(picked, Citations()).splitlines()
    assert sum(len(line.split()) for line in lines) <= 80
    assert lines[0].startswith("• Customers say: “The engineer never came") and "”… (complaint, inferred)" in lines[0]
    assert lines[-1] == f"• Main risk: “{risk}” ⟦r1⟧"
    # Still too long with the customer's words cut: the risk is cut within its sentence too, not dropped.
    monkeypatch.setattr(grounded_writer, "BOTTOM_LINE_WORDS", 50)
    lines = bottom_line(picked, Citations()).splitlines()
    assert lines[-1] == "• Main risk: “When we then fail to turn up, customers do not see a scheduling problem”… ⟦r1⟧"


def test_a_knowledge_base_without_feedback_is_said_to_hold_none() -> None:
    from briefs.grounded_writer import Citations, affected_section, customers_section

    empty = _complaints_inbox_pick([])
    assert customers_section(empty, Citations()) == "The knowledge base holds no customer feedback yet."
    assert affected_section(empty, Citations()).startswith("No customer feedback is held yet")
    # Feedback held, none close enough to the decision to quote.
    held = _complaints_inbox_pick(["The router lights blink all night."])
    held.feedback = []
    assert customers_section(held, Citations()) == "No customer feedback in the knowledge base bears on this yet."
    assert affected_section(held, Citations()).startswith("No customer feedback bears on this yet")


def test_a_customers_spoken_line_alone_is_not_called_unclear() -> None:
    from briefs.grounded_writer import Citations, customers_section

    picked = _complaints_inbox_pick(["The router lights blink all night."])
    picked.feedback = []
    call = Source(id="t1", kind="transcript", source="calls.md", title="Call", text="", score=0.5, channel="phone")
    picked.transcript = [Quote(0.5, call, "I was twenty minutes in the menu before I got anyone.")]
    assert customers_section(picked, Citations()) == (
        "• From a phone transcript: “I was twenty minutes in the menu before I got anyone.” ⟦t1⟧")


def test_a_promise_to_a_customer_whose_words_are_not_clearly_about_the_decision_is_not_touched() -> None:
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from briefs.advisor import CustomerFacts
    from briefs.grounded_writer import CLOSE_VERBATIM, promises_section

    picked = _complaints_inbox_pick(["Home move went OK, the engineer came on the day.",
                                     "The line dropped again and nobody rang back."])
    picked.evidence.facts = CustomerFacts(checked=True, promises_recorded=True, open_promises=[SimpleNamespace(
        id="P9", customer_id="R0", text="Quote for a second line", owner="zara.ahmed",
        due_at=datetime.now(UTC) - timedelta(days=1), due_tz="UTC")])
    assert "P9 to R0" in promises_section(picked) and "overdue" in promises_section(picked)
    picked.feedback[0].score = CLOSE_VERBATIM - 0.01  # quoted only as the closest found
    # Not "none to the customers quoted here": R0 is quoted, and holds one.
    assert promises_section(picked) == (
        "• No open promise to the customers named or whose words are clearly about this decision.")


def test_the_bottom_line_gives_the_customers_own_score_rather_than_the_band_it_falls_in() -> None:
    from briefs.grounded_writer import Citations, bottom_line
    from briefs.tone import Tone

    picked = _complaints_inbox_pick(["The 2 hour window was good but the engineer was late. Still better than a day."])
    picked.feedback[0].source.extra = {"score": 6}
    picked.feedback[0].tone = Tone("complaint", inferred=False)  # 6 is a complaint by the usual bands
    assert picked.feedback[0].source.feedback_score == 6
    assert "Still better than a day.” (6/10) ⟦f0⟧" in bottom_line(picked, Citations())
    picked.feedback[0].tone = Tone("complaint", inferred=True)  # read from the text: said so
    assert "(complaint, inferred)" in bottom_line(picked, Citations())


def test_someone_leaving_a_place_is_no_risk() -> None:
    assert not states_a_risk("Every visit was booked into a two-hour window, with the technician texting the "
                             "customer when leaving the previous job.")
    assert states_a_risk("Customers leaving the company cite the wait.")


def test_a_short_line_that_heads_a_paragraph_is_quoted_with_what_it_heads() -> None:
    from briefs.grounded_writer import Citations, _document_bullet

    text = ("Paper-bill charges applied wrongly. A colleague's mother, aged 81 and therefore exempt, was charged the "
            "monthly paper-bill fee for five months. Upgrade offers during a complaint went out too.")
    study = Source(id="r1", kind="research", source="same-door.docx", title="Same Door", text=text, score=0.5)
    heading = "Paper-bill charges applied wrongly."
    both = f"{heading} {text.split('. ')[1]}."
    assert _with_its_finding(Quote(0.6, study, heading)) == both
    assert _document_bullet(Quote(0.6, study, heading), Citations(), 34) == f"Research says: “{both}” ⟦r1⟧"
    # A sentence of more words stands alone.
    finding = text.split(". ")[1] + "."
    assert _with_its_finding(Quote(0.6, study, finding)) == finding


def test_a_quote_cut_between_words_is_not_cut_before_what_completes_it() -> None:
    from briefs.grounded_writer import _cut_to_words

    text = ("In the Other Charges and Credits section there is a Video Self Install Kit listed in the amount of 29.95 "
            "(there was not a video in the shipment) and a visit for 39.95")
    cut = _cut_to_words(text, 18)
    assert cut.endswith("…") and not cut.endswith("amount”…") and not cut.endswith("of”…")
    assert cut == "“In the Other Charges and Credits section there is a Video Self Install Kit listed”…"


def test_a_short_verbatim_of_two_sentences_is_quoted_to_its_own_end() -> None:
    from briefs.grounded_writer import BOTTOM_QUOTE_STRETCH, Said, _said_briefly
    from briefs.tone import Tone

    text = ("Lark found my bill and explained the extra charge, which was fine. "
            "It took a few goes to phrase it so it understood.")
    said = Said(0.5, Source(id="f", kind="feedback", source="chat.csv", title="Feedback", text=text, score=0.5),
                Tone("complaint", inferred=False), best_sentence=text.split(". ")[0] + ".")
    # Its last sentence ends where the verbatim does: no sentence break follows it, and it still counts.
    assert _said_briefly(said, stretch=BOTTOM_QUOTE_STRETCH) == f"“{text}”"
    assert _said_briefly(said) == "“Lark found my bill and explained the extra charge, which was fine.”…"
