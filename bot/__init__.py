"""Slack in (Bolt): one folder per listener kind, each with a `register(app)`; the listeners call the shared
flows in `bot.flows`."""
