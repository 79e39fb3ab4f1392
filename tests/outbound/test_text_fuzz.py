"""Property-based tests of the text that reaches Slack: mrkdwn escaping (outbound/text.py `escape`,
`literal`), trimming (`trim`) and the masking of personal data (outbound/masking.py).

What a customer or a colleague wrote must never ping anyone, never break a message by being cut in the
middle of an entity, a token or a character, and show exactly as written; contact details never survive
masking. Marked `fuzz`: 200 examples per test in the normal run, 5,000 with `pytest -m fuzz`.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from outbound.masking import mask_personal_data
from outbound.text import escape, literal, trim
from tests.slack_checks import CONTROL, shown_as

pytestmark = pytest.mark.fuzz

# Text as people write it, with the characters Slack treats specially well represented.
SPECIAL = list("<>&@!#|*_~`:;.\n ") + ["<!channel>", "<!here>", "<@U0BOSS>", "@here", "&amp;", "&lt;", "<http://x|y>",
                                        "*bold*", "_it_", "~x~", "`c`", "```", "\u200d", "\u0301", "👍🏽", "🇬🇧", "é"]
TEXT = st.lists(st.sampled_from(SPECIAL) | st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
                max_size=30).map("".join)
ENTITY = re.compile(r"&(?:amp|lt|gt);")


# -- escaping ------------------------------------------------------------------------------------------------
@given(TEXT)
@example("<!channel> & <@U0BOSS> <http://evil.example|click>")
def test_escaped_text_has_no_control_sequence_and_reads_back_as_written(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped and not CONTROL.search(escaped)
    assert all(ENTITY.match(escaped, m.start()) for m in re.finditer("&", escaped))  # every & is an entity
    assert not re.search(r"@(here|channel|everyone)\b", escaped, re.IGNORECASE)
    assert shown_as(escaped) == text.replace("\u200b", "")  # what Slack shows, zero-width spaces aside


@given(TEXT)
@example("*bold* _italic_ ~struck~ `code` ```block``` > quote")
@example("a*b*c snake_case_name ~/path")
def test_people_s_words_show_exactly_as_written(text: str) -> None:
    shown = literal(text)
    # Outside the tokens that show one character as typed, nothing is left that Slack formats or acts on.
    bare = re.sub(r"<!date\^0+\^\{_\}\|[*_~`]>", "", shown)
    assert not re.search(r"[*_~`<>]", bare), shown
    assert all(ENTITY.match(bare, m.start()) for m in re.finditer("&", bare))
    assert shown_as(shown) == text.replace("\u200b", "")


# -- trimming ------------------------------------------------------------------------------------------------
def _split_inside(kept: str, whole: str) -> bool:
    """Whether `kept` (a prefix of `whole`) ends inside a character a person sees as one."""
    if not kept or len(kept) == len(whole):
        return False
    before, after = kept[-1], whole[len(kept)]
    return (unicodedata.category(after) in ("Mn", "Me", "Mc") or after in "\u200d\ufe0f" or before == "\u200d"
            or "\U0001f3fb" <= after <= "\U0001f3ff"
            or ("\U0001f1e6" <= before <= "\U0001f1ff" and "\U0001f1e6" <= after <= "\U0001f1ff"
                and len(re.search("[\U0001f1e6-\U0001f1ff]*$", kept).group(0)) % 2 == 1))  # type: ignore[union-attr]


@given(TEXT, st.integers(0, 60), st.booleans(), st.sampled_from(["…", " …"]))
@example("word &amp; more", 8, False, "…")
@example("ab*cd", 10, True, "…")
@example("Zo\u0065\u0301 is here", 5, False, "…")
@example("x\u200d&y", 8, False, "…")
@example("ab\u200d  cdefghij", 6, False, "…")
def test_trimmed_text_fits_and_never_cuts_an_entity_a_token_or_a_character(
    text: str, limit: int, people: bool, marker: str
) -> None:
    source = literal(text) if people else escape(text)
    trimmed = trim(source, limit, marker=marker)
    assert len(trimmed) <= limit
    if len(source) <= limit:
        assert trimmed == source
        return
    kept = trimmed.removesuffix(marker)
    assert trimmed.endswith(marker) or limit <= len(marker)
    assert source.startswith(kept)
    # Cut between whole entities and tokens: what is kept is exactly the escaped form of some prefix.
    assert "<" not in kept.rsplit(">", 1)[-1] and not re.search(r"&[a-z]*$", kept)
    assert not _split_inside(kept, source)
    shown_as(kept)  # still reads as Slack text


# -- masking -------------------------------------------------------------------------------------------------
# Addresses as customers write them, internationalised ones (zoë@exämple.de) included.
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZëéüßøçñ"
LOCAL = st.text(LETTERS + "0123456789._%+-", min_size=1, max_size=12).filter(lambda s: s[0] not in "._%+-")
DOMAIN = st.lists(st.text(LETTERS + "0123456789-", min_size=1, max_size=10).filter(
    lambda s: s[0] != "-" and s[-1] != "-"), min_size=1, max_size=3).map(".".join)
EMAIL = st.builds(lambda local, domain, tld: f"{local}@{domain}.{tld}", LOCAL, DOMAIN,
                  st.text(LETTERS, min_size=2, max_size=6) | st.just("xn--p1ai"))


def _luhn_complete(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits + "0")):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return digits + str((10 - total % 10) % 10)


CARD = st.builds(
    lambda first, rest, separator: separator.join(
        re.findall(".{1,4}", _luhn_complete(first + rest))),
    st.sampled_from("3456"), st.text("0123456789", min_size=14, max_size=14), st.sampled_from(["", " ", "-"]))
PHONE = st.sampled_from([
    "07700 900123", "+44 7700 900123", "+44 (0)20 7946 0958", "020 7946 0958", "(020) 7946-0958",
    "+1-202-555-0173", "+1 (202) 555 0173", "0049 30 901820", "+33 1 23 45 67 89", "07700900123",
    "01.23.45.67.89", "06 12 34 56 78", "0800-12-34-56", "+49.30.901820",
]) | st.builds(lambda cc, n: f"+{cc} {n}", st.integers(1, 99), st.text("0123456789", min_size=9, max_size=11))
AROUND = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
SEPARATOR = st.sampled_from([" ", "\n", ", ", ": ", " (", "; ", " on ", "", "x", "é"])


@given(AROUND, SEPARATOR, EMAIL | PHONE | CARD, SEPARATOR, AROUND)
@example("Call me on", " ", "07700 900123", ".", "")
@example("12", " ", "4111 1111 1111 1111", " ", "2024-05-01")
@example("at 10:30", " ", "+44 20 7946 0958", " ", "")
@example("write to", " ", "zoë@example.com", "", "")
@example("", "Tel", "07700900123", "", "")
@example("", " ", "01.23.45.67.89", "", "")
def test_masked_text_holds_no_email_phone_or_card_number_of_the_input(
    before: str, left: str, personal: str, right: str, after: str
) -> None:
    text = f"{before}{left}{personal}{right}{after}"
    masked = mask_personal_data(text)
    assert personal not in masked
    if "@" not in personal and not re.search(r"\d", before + after):
        # Not even the number's digits survive, however they are spaced.
        assert re.sub(r"\D", "", personal) not in re.sub(r"\D", "", masked)


@given(TEXT | st.builds("{} {} {}".format, AROUND, EMAIL | PHONE | CARD, AROUND))
@example("2024-05-01 07700 900123 10:30")
@example(" +33 1 23 45 67 89 ")
def test_masking_is_idempotent_and_leaves_other_words_alone(text: str) -> None:
    masked = mask_personal_data(text)
    assert mask_personal_data(masked) == masked
    if "@" not in text and len(re.findall(r"\d", text)) < 9:  # too few digits for a phone or card: unchanged
        assert masked == text
