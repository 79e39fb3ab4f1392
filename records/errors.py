"""Errors the records raise for bad input: each names the field and says what to do."""

from __future__ import annotations


class InputError(ValueError):
    """Input that cannot be stored; nothing was written.

    `field` names the offending field (as a modal or a CLI option would call it), so a Slack modal can
    show the message on that field and the CLI can print it as is.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        # The field the message is about ("due", "customer", "text", "tz", ...).
        self.field = field
        # The message alone, without the field name, for showing beside the field.
        self.message = message


class NotFound(LookupError):
    """A customer, staff member or promise that does not exist; the message says how to find one."""
