"""Scheduled work: outbox delivery now; nudge rules later."""
