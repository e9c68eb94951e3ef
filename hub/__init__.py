"""What every chat platform shares, between the adapters (bot/slack, bot/teams, bot/web) and
the conversations (dialogs/): the durable inbox, the turn workers, who a sender is, and handing
replies and outbox messages to the platforms."""
