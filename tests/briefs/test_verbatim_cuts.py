"""How a customer's long verbatim is shortened for a brief: always their exact words, cut at a sentence,
and taken from the part that bears on the decision."""

import re

from hypothesis import given
from hypothesis import strategies as st

from briefs.grounded_writer import (
    BOTTOM_QUOTE_WORDS,
    VERBATIM_CHARS,
    Said,
    _feedback_facts,
    _said_briefly,
    _short_quote,
    _verbatim,
    _verbatim_excerpt,
)
from briefs.tone import Tone
from knowledge.chunking import sentence_ends
from knowledge.retrieval import Source


def test_sentence_ends_keep_closing_quotation_marks() -> None:
    text = 'The agent said "we will call you back." Nobody did. Then (after a week) I wrote again.'
    ends = sentence_ends(text)
    assert [text[:end] for end in ends] == [
        'The agent said "we will call you back."',
        'The agent said "we will call you back." Nobody did.',
    ]


def test_a_long_verbatim_is_cut_where_a_sentence_ends_keeping_its_exact_words() -> None:
    opening = 'They told me "the engineer is booked for Tuesday." '
    middle = "I stayed home all day and nobody came, and nobody phoned to say why. " * 3
    text = opening + middle + "The last sentence runs well past the limit and must not be quoted at all."
    assert len(text) > VERBATIM_CHARS
    quoted = _verbatim(text)
    assert text.startswith(quoted), "the quote is the opening of the customer's own text"
    assert quoted.endswith("say why.")
    assert '"the engineer is booked for Tuesday."' in quoted
    assert len(quoted) <= VERBATIM_CHARS


def test_a_verbatim_with_no_sentence_end_in_reach_is_cut_at_a_word() -> None:
    text = "word " * 200
    quoted = _verbatim(text)
    assert len(quoted) <= VERBATIM_CHARS
    assert quoted.endswith("word")


@given(st.text(alphabet=st.sampled_from(list('abc XYZ.!?"”)(\n')), max_size=900))
def test_a_verbatim_is_always_the_opening_of_the_customers_own_words(text: str) -> None:
    cleaned = " ".join(text.split())
    quoted = _verbatim(text)
    assert cleaned.startswith(quoted)
    assert len(quoted) <= VERBATIM_CHARS * 1.5


LONG_COMPLAINT = (
    "I have been a customer for eleven years and have always paid on time. "
    "Last winter I moved house and asked for my service to move with me, which took three visits. "
    "Our service went out for two days in March and nobody told us why. "
    "When I asked for a credit for the days without internet I was told outages under a day are not credited. "
    "I was also charged for a technician visit that fixed nothing at all, which I am still disputing. "
    "Please make them treat long-standing customers fairly."
)


def _inside_quotes(quoted: str) -> str:
    match = re.fullmatch(r"…?“(.*)”…?", quoted)
    assert match, quoted
    return match.group(1)


def test_a_long_verbatim_is_quoted_from_the_sentence_that_bears_on_the_decision() -> None:
    around = "When I asked for a credit for the days without internet I was told outages under a day are not credited."
    quoted = _verbatim_excerpt(LONG_COMPLAINT, around)
    assert quoted.startswith("…“"), "words left out before the excerpt are marked outside the quotes"
    inside = _inside_quotes(quoted)
    assert inside in LONG_COMPLAINT
    assert around in inside
    assert not inside.startswith("I have been a customer"), "the opening is not what bears on the decision"
    assert len(inside) <= VERBATIM_CHARS


def test_a_short_excerpt_takes_the_sentence_before_it_and_marks_what_follows() -> None:
    around = "Please make them treat long-standing customers fairly."
    quoted = _verbatim_excerpt(LONG_COMPLAINT, around)
    inside = _inside_quotes(quoted)
    assert inside.startswith("I was also charged for a technician visit")
    assert not quoted.endswith("…"), "the excerpt runs to the end of the verbatim"


def test_a_verbatim_closest_at_its_opening_or_short_is_quoted_as_before() -> None:
    first = "I have been a customer for eleven years and have always paid on time."
    assert _verbatim_excerpt(LONG_COMPLAINT, first) == f"“{_verbatim(LONG_COMPLAINT)}”…"
    assert _verbatim_excerpt("Too slow.", "Too slow.") == "“Too slow.”"


@given(st.text(alphabet=st.sampled_from(list('abc XYZ.!?"”)(\n')), max_size=900), st.integers(0, 40))
def test_an_excerpt_is_always_the_customers_own_words(text: str, pick: int) -> None:
    cleaned = " ".join(text.split())
    ends = sentence_ends(cleaned)
    sentences = [cleaned[a:b].strip() for a, b in zip([0, *ends], [*ends, len(cleaned)], strict=True)]
    around = sentences[pick % len(sentences)] if sentences else ""
    inside = _inside_quotes(_verbatim_excerpt(text, around))
    assert inside in cleaned
    assert len(inside) <= VERBATIM_CHARS * 1.5


def test_a_short_quote_cut_between_words_does_not_end_on_a_dangling_word() -> None:
    sentence = ("It occurs to me that when we use scores as a tool for managing people we act on the wishes of "
                "the customers and the balance of power between them.")
    quoted = _short_quote(sentence, words=18)
    assert quoted.endswith("”…"), "the cut is marked outside the quotation marks"
    assert _inside_quotes(quoted) == "It occurs to me that when we use scores as a tool for managing people we act"


def test_a_short_quote_cut_between_words_does_not_end_on_a_word_that_reports_speech() -> None:
    sentence = ('The day the 3rd tech was supposed to come out the "tech ops supervisor" called me and said the '
                "problem isn't inside my house and would have the maintenance crew come out and check the lines")
    assert _inside_quotes(_short_quote(sentence, words=18)) == (
        'The day the 3rd tech was supposed to come out the "tech ops supervisor" called me')


def test_a_short_quote_cut_between_words_does_not_end_on_a_number_whose_unit_follows() -> None:
    sentence = ("Why can't they just have a better fixed rate instead of the promos that only last around 6 months "
                "and then jump by forty dollars with no warning at all")
    assert _inside_quotes(_short_quote(sentence, words=18)) == (
        "Why can't they just have a better fixed rate instead of the promos that only last")


def test_a_short_quote_reaches_a_clause_end_just_past_the_limit_rather_than_stop_mid_phrase() -> None:
    sentence = ("It occurs to me that when we use scores as a tool for managing people we act on the staff, "
                "the customers and the balance of power between them.")
    assert _inside_quotes(_short_quote(sentence, words=18)) == (
        "It occurs to me that when we use scores as a tool for managing people we act on the staff")


def test_a_short_quote_does_not_end_on_the_first_words_of_a_new_sentence() -> None:
    passage = ("The technician charged me $37.05 for a visit about a fault on their own line outside. "
               "In addition, the outsourced support could not see the charge and kept transferring me.")
    inside = _inside_quotes(_short_quote(passage, words=18))
    assert inside == "The technician charged me $37.05 for a visit about a fault on their own line outside."


def test_a_sentence_just_over_the_limit_is_quoted_whole() -> None:
    sentence = "I was just notified by a recorded message that I had used ninety percent of my monthly data plan."
    assert len(sentence.split()) == BOTTOM_QUOTE_WORDS + 1
    assert _short_quote(sentence) == f"“{sentence}”"


def test_a_short_quote_is_cut_at_a_clause_when_one_is_late_enough() -> None:
    sentence = ("Because the engineer never came and nobody phoned to explain, we stayed in all week, "
                "and then the bill arrived with a charge for the visit that never happened at all.")
    inside = _inside_quotes(_short_quote(sentence))
    assert inside == "Because the engineer never came and nobody phoned to explain, we stayed in all week"


def test_a_verbatim_in_a_line_runs_on_from_its_closest_sentence_so_its_meaning_is_not_turned_round() -> None:
    text = ("After the move I was dreading setting the new account up. Priya sorted the direct debit, the router "
            "and the first bill in a single call and rang back the next day to check. Brilliant.")
    closest = "After the move I was dreading setting the new account up."
    said = Said(score=0.6, source=Source(id="f", kind="feedback", source="", title="", text=text, score=0.6),
                tone=Tone("praise", inferred=False), best_sentence=closest)
    inside = _inside_quotes(_said_briefly(said))
    assert inside == f"{closest} Priya sorted the direct debit"
    assert inside in text and len(inside.split()) <= BOTTOM_QUOTE_WORDS
    # From a later closest sentence, the quote starts there, and the words left out before it are marked.
    later = Said(score=0.6, source=said.source, tone=said.tone, best_sentence="Brilliant.")
    assert _said_briefly(later) == "…“Brilliant.”"


def test_a_verbatim_with_no_sentence_end_in_reach_is_not_cut_on_a_dangling_word() -> None:
    text = " we waited all day at home for the technician and nobody came or called us back about the visit" * 5
    quoted = _verbatim(text)
    assert " ".join(text.split()).startswith(quoted) and len(quoted) <= VERBATIM_CHARS
    assert quoted.endswith("we waited all day at home"), "not on “…at home for the”"


def test_a_complaints_channel_beside_another_tone_says_how_the_words_were_filed() -> None:
    def facts(channel: str, tone: str) -> str:
        source = Source(id="f1", kind="feedback", source="inbox.csv", title="", text="The cap is too small.",
                        score=0.5, customer_id="R1", date="2015-06-17", channel=channel)
        return _feedback_facts(Said(0.5, source, Tone(tone, inferred=True)))

    assert facts("complaint", "neutral") == (
        "neutral, inferred from the text, 2015-06-17, filed as a complaint, customer R1")
    assert facts("complaint", "complaint") == "complaint, inferred from the text, 2015-06-17, customer R1"
    assert facts("email", "praise") == "praise, inferred from the text, 2015-06-17, email, customer R1"


def test_unscored_words_filed_as_a_complaint_say_so_once() -> None:
    source = Source(id="f1", kind="feedback", source="register.csv", title="", text="The cap is too small.",
                    score=0.5, customer_id="R1", date="2015-06-17", channel="complaint")
    assert _feedback_facts(Said(0.5, source, Tone("complaint", inferred=False))) == (
        "filed as a complaint, 2015-06-17, customer R1")


def test_a_routing_tag_closing_a_verbatim_is_not_quoted_as_the_customers_words() -> None:
    text = ("As a resolution, he would like Comcast to respond about his issues and resolve the rate issues. "
            "***CTR359-phone***")
    said = Said(0.5, Source(id="f1", kind="feedback", source="fcc.csv", title="Feedback 1", text=text, score=0.5),
                Tone("complaint", inferred=True))
    assert _verbatim_excerpt(text) == ("“As a resolution, he would like Comcast to respond about his issues and "
                                       "resolve the rate issues.”")
    assert "CTR359" not in _said_briefly(said)
    # The customer's own emphasis is their words, and stays.
    assert "***THIS IS URGENT***" in _verbatim_excerpt("The line is dead again. ***THIS IS URGENT***")
