"""Masking personal data in verbatims shown in channels: emails, phone numbers, card-like numbers.

Customers write their contact details into feedback; a brief posted in a channel must not spread them.
Dates and times look like digit runs too, so they are set aside before numbers are judged.
"""

from __future__ import annotations

import re

# Letters of any script on both sides of the @ (zoë@exämple.de), and punycode top-level domains.
_EMAIL = re.compile(r"[\w.%+-]+@[^\W_][\w-]*(?:\.[^\W_][\w-]*)*\.(?:[^\W\d_]{2,}|xn--[\w-]+)")
# Dates (2024-05-01, 01/05/2024, 1.5.2024) and times (10:30) are protected from the digit rules, but not
# when they are only the start of a longer run: 01.23.45.67.89 is a French phone number, not a date.
_PROTECTED = re.compile(
    r"(?<![\d-])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?(?![-:]?\d)"
    r"|(?<![\d./])\d{1,2}([/.])\d{1,2}\1\d{2,4}(?![./]?\d)"
    r"|(?<![\d:])\d{1,2}:\d{2}(?!:?\d)"
)
# A run of digits with the separators people type in phone and card numbers; letters may touch it
# ("Tel07700900123"), digits may not (a run is taken whole).
_DIGIT_RUN = re.compile(r"(?<![\d+])\+?\(?\d[\d\s().-]{5,}\d(?!\d)")

EMAIL_MASK = "[email removed]"
PHONE_MASK = "[phone removed]"
CARD_MASK = "[card number removed]"


def mask_personal_data(text: str) -> str:
    """Text with emails, phone numbers (9–15 digits) and card-like numbers (13–19 digits) masked."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    pieces: list[str] = []
    last = 0
    for protected in _PROTECTED.finditer(text):
        pieces.append(_mask_numbers(text[last : protected.start()]))
        pieces.append(protected.group(0))
        last = protected.end()
    pieces.append(_mask_numbers(text[last:]))
    return "".join(pieces)


def _mask_numbers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = sum(c.isdigit() for c in run)
        if 13 <= digits <= 19 and (run.startswith(("3", "4", "5", "6")) or _luhn(run)):
            return CARD_MASK
        if 9 <= digits <= 15:
            return PHONE_MASK
        if digits > 15:
            return CARD_MASK  # long account-like numbers: safer hidden
        return run

    return _DIGIT_RUN.sub(replace, text)


def _luhn(run: str) -> bool:
    digits = [int(c) for c in run if c.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
