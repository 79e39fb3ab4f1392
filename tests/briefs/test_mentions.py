"""Which words of a decision are counted in the customers' own words, and how they match."""

from briefs.mentions import decision_words, mentions, words_in_several


def test_decision_words_leave_out_stop_words_short_and_general_words() -> None:
    words = decision_words("We plan to end courtesy credits without notice, even for TV-only homes in 2027.")
    assert words == ["courtesy", "credits", "notice", "homes"]
    # When and how much are not who: time and quantity words never name a group; a day or month may.
    words = decision_words("Next year every existing plan costs $10 a month plus tax, billed on Saturday in April.")
    assert words == ["costs", "billed", "saturday", "april"]


def test_a_word_matches_its_common_inflections_as_whole_words() -> None:
    assert mentions("credits", "They never credited my account.")
    assert mentions("credit", "Two CREDITS were missing.")
    assert not mentions("credit", "An accredited installer came.")
    assert mentions("outages", "Another outage tonight.") and mentions("billing", "I was billed twice.")
    # A longer word that only starts with it is another word: the chatbot "Lark" is not "Larkspur".
    assert not mentions("lark", "Larkspur's fine. Not exciting.")
    assert mentions("line", "The lines were down.") and not mentions("line", "Reliable when online.")


def test_a_preposition_never_names_a_group() -> None:
    assert decision_words("Tell them we will call back within two working days.") == ["tell", "call", "back", "working"]


def test_words_in_several_counts_texts_not_occurrences() -> None:
    texts = ["credit credit credit", "no credit here", "nothing"]
    assert words_in_several("courtesy credit", texts, at_least=2) == ["credit"]
    assert words_in_several("courtesy credit", texts, at_least=3) == []
