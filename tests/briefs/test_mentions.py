"""Whether a decision names a customer group, and where: segments and channels as the records spell them."""

from briefs.mentions import named_at


def names_group(decision: str, group: str) -> bool:
    return named_at(decision, group) is not None


def test_a_group_is_named_by_every_word_of_its_name_in_any_inflection() -> None:
    assert names_group("Start the two-hour windows with small-business repairs in Q1.", "small-business")
    assert names_group("Should small businesses get the new windows first?", "small-business")
    assert names_group("Close the phone line on Sundays.", "phone")
    assert names_group("Households pay the paper-bill charge.", "household")


def test_a_last_word_alone_names_a_group_only_before_a_word_for_people() -> None:
    assert names_group("Give business customers a priority line.", "small-business")
    assert names_group("Move priority accounts to the new team.", "priority")
    assert not names_group("The business case for the new portal.", "small-business")


def test_a_word_inside_a_longer_word_names_nobody() -> None:
    assert not names_group("Should Larkspur add an app-only discount?", "lark")
    assert not names_group("Drop the smartphone offer.", "phone")
    assert not names_group("", "phone") and not names_group("Close the phone line.", "")


def test_where_a_group_is_named() -> None:
    assert named_at("Start with small-business repairs, households later.", "household") == 5
    assert named_at("Start with small-business repairs, households later.", "small-business") == 2


def test_a_channel_is_named_only_by_its_own_word_uninflected() -> None:
    assert named_at("Close the phone line on Sundays.", "phone", inflected=False) == 2
    assert named_at("Should managers stop phoning long-standing customers?", "phone", inflected=False) is None
    assert named_at("Should managers stop phoning long-standing customers?", "phone") is not None
