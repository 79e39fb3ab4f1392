"""Slack out: the Web API client, posting once, Block Kit, mrkdwn escaping and every message layout."""
