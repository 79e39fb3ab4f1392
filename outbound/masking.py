"""Masking personal data in verbatims shown in channels: emails, phone numbers, card-like numbers.

Customers write their contact details into feedback; a brief posted in a channel must not spread them.
Dates and times look like digit runs too, so they are set aside before numbers are judged.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Dates (2024-05-01, 01/05/2024, 1.5.2024) and times (10:30) are protected from the digit rules.
_PROTECTED = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{1,2}:\d{2}\b"
)
# A run of digits with the separators people type in phone and card numbers.
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")

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
