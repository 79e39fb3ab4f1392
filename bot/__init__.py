"""The Slack app (Bolt): one module per listener kind, each with a `register(app)`."""
