"""Block Kit for the Slack app: briefs, help, App Home and modals, within Slack's limits."""
