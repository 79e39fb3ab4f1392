"""Every message and view Advocate shows, within Slack's limits: briefs, help, App Home, modals, the customer
card, the manager digest, the advocate briefing and the DMs about a promise. Layouts take what to show and
return Block Kit; they read nothing and send nothing."""
