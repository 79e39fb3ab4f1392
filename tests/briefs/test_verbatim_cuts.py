"""How a customer's long verbatim is shortened for a brief: always their exact words, cut at a sentence."""

from hypothesis import given
from hypothesis import strategies as st

from briefs.grounded_writer import VERBATIM_CHARS, _verbatim
from knowledge.chunking import sentence_ends


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
