"""Advocate: the customer's standpoint in every decision, from Slack or the terminal."""

__version__ = "0.1.0"
