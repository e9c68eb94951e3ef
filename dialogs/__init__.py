"""Platform-neutral conversations: steps, validation, catalogues, and what the bot says."""
